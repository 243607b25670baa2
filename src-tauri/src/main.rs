// A release build on Windows is a GUI app: no console window beside it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    kling_studio::run()
}
