//! The app's menu, on every system, in the creator's language. Each system's own
//! conventions live here and nowhere else:
//! - macOS: the menu bar's app menu (About, Settings… ⌘,, Services, Hide, Quit ⌘Q),
//!   Edit, Window (⌘W) and Help. The Edit menu is what makes ⌘C, ⌘V, ⌘X, ⌘Z and ⌘A
//!   work in the page's fields: WKWebView takes those keys from the menu's
//!   selectors, and without them fields cannot be pasted into.
//! - Windows and Linux: a menu bar in the window, File (Settings… Ctrl+,, Quit
//!   Ctrl+Q) and Help. No Edit menu there: WebView2 and WebKitGTK handle copy and
//!   paste in fields themselves, and GTK would show muda's Undo and Redo disabled.
//!
//! Quit is never the system's own item: `PredefinedMenuItem::quit` is AppKit's
//! `terminate:` on macOS (muda) and `PostQuitMessage` on Windows, which end the app
//! without asking. The app's own item goes through `desktop::quit_asking_first`,
//! the same question as closing the window.

use serde::{Deserialize, Serialize};
use tauri::menu::{AboutMetadata, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager, Wry};

use crate::i18n::tr;
use crate::jobs::StudioEvent;
use crate::studio::Studio;

/// The app's own menu items; each one's id is its name here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum MenuAction {
    Quit,
    Settings,
    OpenLogs,
}

impl MenuAction {
    const ALL: [MenuAction; 3] = [MenuAction::Quit, MenuAction::Settings, MenuAction::OpenLogs];

    fn id(self) -> &'static str {
        match self {
            MenuAction::Quit => "quit",
            MenuAction::Settings => "settings",
            MenuAction::OpenLogs => "openLogs",
        }
    }
}

/// A shortcut the page passes on to the menu: Ctrl + `key` chooses `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PageKey {
    pub key: &'static str,
    pub action: MenuAction,
}

/// The menu's shortcuts that only the page can see, on this system. On Windows,
/// WebView2 takes the keyboard into its own process, so the window's accelerator
/// table never sees a key pressed while the page has focus, which is nearly always
/// (wry issue #451, WebView2Feedback #468; wry sets no `AllowHostInputProcessing`):
/// the page hands Ctrl+Q and Ctrl+, to `choose`. On macOS and Linux the menu takes
/// its keys before the web view does; the page passing them on too would do it twice.
pub fn keys_the_page_routes() -> Vec<PageKey> {
    if cfg!(target_os = "windows") {
        vec![
            PageKey {
                key: "q",
                action: MenuAction::Quit,
            },
            PageKey {
                key: ",",
                action: MenuAction::Settings,
            },
        ]
    } else {
        Vec::new()
    }
}

/// Puts the menu in place, in `lang` (again when the creator picks a language).
pub fn install(app: &AppHandle, lang: &str) -> tauri::Result<()> {
    app.set_menu(build(app, lang)?)?;
    Ok(())
}

fn build(app: &AppHandle, lang: &str) -> tauri::Result<Menu<Wry>> {
    let word = |key: &str| tr(lang, key, &[]);
    let name = app.package_info().name.clone();
    let own_item = |action: MenuAction, text: String, shortcut: Option<&str>| {
        MenuItem::with_id(app, action.id(), text, true, shortcut)
    };
    let quit = own_item(
        MenuAction::Quit,
        tr(lang, "menu.quit", &[("app", &name)]),
        Some("CmdOrCtrl+Q"),
    )?;
    let settings = own_item(
        MenuAction::Settings,
        word("menu.settings"),
        Some("CmdOrCtrl+,"),
    )?;
    let open_logs = own_item(MenuAction::OpenLogs, word("menu.open_logs"), None)?;
    let help = Submenu::with_items(app, word("menu.help"), true, &[&open_logs])?;
    let separator = || PredefinedMenuItem::separator(app);

    if cfg!(target_os = "macos") {
        let about = AboutMetadata {
            name: Some(name.clone()),
            version: Some(app.package_info().version.to_string()),
            ..Default::default()
        };
        let app_menu = Submenu::with_items(
            app,
            &name,
            true,
            &[
                &PredefinedMenuItem::about(
                    app,
                    Some(&tr(lang, "menu.about", &[("app", &name)])),
                    Some(about),
                )?,
                &separator()?,
                &settings,
                &separator()?,
                &PredefinedMenuItem::services(app, Some(&word("menu.services")))?,
                &separator()?,
                &PredefinedMenuItem::hide(app, Some(&tr(lang, "menu.hide", &[("app", &name)])))?,
                &PredefinedMenuItem::hide_others(app, Some(&word("menu.hide_others")))?,
                &PredefinedMenuItem::show_all(app, Some(&word("menu.show_all")))?,
                &separator()?,
                &quit,
            ],
        )?;
        let edit = Submenu::with_items(
            app,
            word("menu.edit"),
            true,
            &[
                &PredefinedMenuItem::undo(app, Some(&word("menu.undo")))?,
                &PredefinedMenuItem::redo(app, Some(&word("menu.redo")))?,
                &separator()?,
                &PredefinedMenuItem::cut(app, Some(&word("menu.cut")))?,
                &PredefinedMenuItem::copy(app, Some(&word("menu.copy")))?,
                &PredefinedMenuItem::paste(app, Some(&word("menu.paste")))?,
                &PredefinedMenuItem::select_all(app, Some(&word("menu.select_all")))?,
            ],
        )?;
        // Close Window is `performClose:`: the window's close request, which asks.
        let window = Submenu::with_items(
            app,
            word("menu.window"),
            true,
            &[
                &PredefinedMenuItem::minimize(app, Some(&word("menu.minimize")))?,
                &PredefinedMenuItem::maximize(app, Some(&word("menu.zoom")))?,
                &separator()?,
                &PredefinedMenuItem::close_window(app, Some(&word("menu.close_window")))?,
            ],
        )?;
        Menu::with_items(app, &[&app_menu, &edit, &window, &help])
    } else {
        let file = Submenu::with_items(
            app,
            word("menu.file"),
            true,
            &[&settings, &separator()?, &quit],
        )?;
        Menu::with_items(app, &[&file, &help])
    }
}

/// The menu's own items, chosen from the menu or by their shortcut.
pub fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    if let Some(action) = MenuAction::ALL.into_iter().find(|a| a.id() == id) {
        choose(app, action);
    }
}

/// What each item does, whether the menu or the page (`keys_the_page_routes`) chose it.
pub fn choose(app: &AppHandle, action: MenuAction) {
    log::info!("menu {}", action.id());
    match action {
        MenuAction::Quit => crate::desktop::quit_asking_first(app),
        MenuAction::Settings => {
            crate::desktop::bring_forward(app);
            if let Some(studio) = app.try_state::<Studio>() {
                studio.publish(&StudioEvent::SettingsAsked);
            }
        }
        MenuAction::OpenLogs => {
            if let Err(error) = crate::desktop::open_logs_folder(app) {
                log::warn!("the logs folder did not open: {error:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_routes_quit_and_settings_only_where_the_web_view_keeps_the_keys() {
        let routed = keys_the_page_routes();
        if cfg!(target_os = "windows") {
            let actions: Vec<MenuAction> = routed.iter().map(|k| k.action).collect();
            assert_eq!(actions, [MenuAction::Quit, MenuAction::Settings]);
        } else {
            assert!(routed.is_empty(), "the menu takes its own keys: {routed:?}");
        }
        // What the page reads and sends back.
        assert_eq!(
            serde_json::to_string(&PageKey {
                key: "q",
                action: MenuAction::Quit
            })
            .unwrap(),
            r#"{"key":"q","action":"quit"}"#
        );
        let chosen: MenuAction = serde_json::from_str(r#""openLogs""#).unwrap();
        assert_eq!(chosen.id(), "openLogs");
    }
}
