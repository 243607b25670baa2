//! The Tauri commands, grouped as `studio` groups the use cases: a few lines
//! each, handing off to `Studio` and the request rules. Their names are listed
//! once, in `command_names.rs`.

pub mod account;
pub mod files;
pub mod money;
pub mod preferences;
pub mod support;
pub mod videos;
pub mod voices;
pub mod window;

pub use files::SavedFile;
pub use support::HelpLink;
