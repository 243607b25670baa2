//! How the Linux web view paints pages: on the GPU, or on the CPU when the machine
//! has no GPU to paint with.
//!
//! WebKitGTK paints with Skia on the GPU by default. On a machine without one (a
//! virtual machine, a remote desktop, a graphics driver that is not installed) that
//! "GPU" is Mesa's software rasteriser, llvmpipe, which costs more memory and CPU
//! than Skia's own CPU painter. Measured here (no GPU, `bench scale`): scrolling
//! 1,000 videos grew the web process by ~65 MiB on llvmpipe and ~26 MiB with CPU
//! painting, and its idle figure was ~50 MiB lower. WPE WebKit made CPU painting
//! its default for the same reason; WebKitGTK leaves the choice to the app, by an
//! environment variable its processes read when they start.
//!
//! So when the machine shows no GPU (no render node, no NVIDIA device), or Mesa is
//! told to rasterise in software, the app asks for CPU painting, unless the person
//! has set WebKit's variable themselves. The variable must be set before the
//! web view starts (its processes inherit the environment) and while the app has a
//! single thread: `choose_for_this_machine` is the first thing `run` does.

use std::path::Path;
use std::sync::OnceLock;

/// WebKitGTK's own switch: "1" paints with the CPU, "0" with the GPU.
pub const CPU_PAINTING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Painting {
    /// WebKit's default: the machine has a GPU.
    Gpu,
    /// Not WebKitGTK (macOS, Windows): the web view paints as its system decides.
    SystemDefault,
    /// No GPU render node: the app asked WebKit to paint with the CPU.
    CpuForNoGpu,
    /// The person set `WEBKIT_SKIA_ENABLE_CPU_RENDERING` themselves; the app
    /// leaves it as it is.
    ChosenInEnvironment,
}

impl Painting {
    /// For "Copy details for support".
    pub fn describe(self) -> &'static str {
        match self {
            Painting::Gpu => "GPU",
            Painting::SystemDefault => "the system's default",
            Painting::CpuForNoGpu => "CPU (no GPU found)",
            Painting::ChosenInEnvironment => "as set in the environment",
        }
    }
}

/// The rule, apart from the machine: what the environment says, and whether the
/// machine has a GPU to paint with.
pub fn choose(cpu_painting_set: bool, has_gpu: bool) -> Painting {
    if cpu_painting_set {
        Painting::ChosenInEnvironment
    } else if has_gpu {
        Painting::Gpu
    } else {
        Painting::CpuForNoGpu
    }
}

/// Whether `dev` shows a GPU: a render node in `dev/dri` (`renderD128`, …), the
/// device Mesa opens for a hardware GPU, or NVIDIA's own device (its driver can
/// run without a render node). Without either, OpenGL on Linux is software.
pub fn has_gpu(dev: &Path) -> bool {
    let render_node = std::fs::read_dir(dev.join("dri"))
        .map(|entries| {
            entries
                .flatten()
                .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    render_node || dev.join("nvidia0").exists()
}

/// Mesa's own switch to rasterise in software, whatever the hardware.
fn mesa_forced_to_software() -> bool {
    std::env::var("LIBGL_ALWAYS_SOFTWARE").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

static CHOSEN: OnceLock<Painting> = OnceLock::new();

/// Decides for this machine and sets WebKit's switch where needed. Call it first,
/// while the process has one thread. Does nothing off Linux, where the web view is
/// not WebKitGTK.
pub fn choose_for_this_machine() -> Painting {
    *CHOSEN.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return Painting::SystemDefault;
        }
        let chosen = choose(
            std::env::var_os(CPU_PAINTING).is_some(),
            has_gpu(Path::new("/dev")) && !mesa_forced_to_software(),
        );
        if chosen == Painting::CpuForNoGpu {
            std::env::set_var(CPU_PAINTING, "1");
        }
        chosen
    })
}

/// What was chosen at start-up (the system's default if nothing was).
pub fn chosen() -> Painting {
    CHOSEN.get().copied().unwrap_or(Painting::SystemDefault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_person_s_own_setting_wins_then_the_gpu_decides() {
        assert_eq!(choose(true, false), Painting::ChosenInEnvironment);
        assert_eq!(choose(true, true), Painting::ChosenInEnvironment);
        assert_eq!(choose(false, true), Painting::Gpu);
        assert_eq!(choose(false, false), Painting::CpuForNoGpu);
    }

    #[test]
    fn a_render_node_or_an_nvidia_device_is_a_gpu_a_card_alone_is_not() {
        let dev = std::env::temp_dir().join(format!("painting-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dev);
        std::fs::create_dir_all(&dev).unwrap();
        assert!(!has_gpu(&dev), "no dri folder at all");
        let dri = dev.join("dri");
        std::fs::create_dir_all(&dri).unwrap();
        // A display-only device (a virtual machine's framebuffer) has card0 and no render node.
        std::fs::write(dri.join("card0"), b"").unwrap();
        assert!(!has_gpu(&dev));
        std::fs::write(dev.join("nvidia0"), b"").unwrap();
        assert!(has_gpu(&dev), "NVIDIA's driver without a render node");
        std::fs::remove_file(dev.join("nvidia0")).unwrap();
        std::fs::write(dri.join("renderD128"), b"").unwrap();
        assert!(has_gpu(&dev));
        std::fs::remove_dir_all(&dev).unwrap();
    }
}
