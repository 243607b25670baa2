fn main() {
    kling_studio::run()
}
