//! The page's contract, generated from the Rust types: `ui/contract.d.ts`
//! declares every type the page receives and sends, and `Command`, the names
//! it may `invoke`. The page is type-checked against it (`tsc`, in `make
//! test`'s lint step), and the test below fails when the file is stale:
//! `UPDATE_CONTRACT=1 cargo test -p kling-studio contract` writes it again.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::error::{AppError, AppErrorOnTheWire};

/// An `AppError` reaches the page as `AppErrorOnTheWire` (its fields and the
/// money verdict), so that is its type wherever a view holds one.
impl TS for AppError {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &Config) -> String {
        "AppError".into()
    }

    fn inline(cfg: &Config) -> String {
        AppErrorOnTheWire::inline(cfg)
    }
}

/// A `JobView` reaches the page as `JobOnTheWire`, its own fields borrowed
/// from the record and the live state.
impl TS for crate::jobs::JobView {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &Config) -> String {
        "JobView".into()
    }

    fn inline(cfg: &Config) -> String {
        crate::jobs::JobOnTheWire::inline(cfg)
    }
}

fn declarations(cfg: &Config) -> Vec<String> {
    use crate::jobs::library::{RecordStatus, Take};
    use crate::studio::{AnotherTake, LoadedSettings, Order, PriceView, SavedKey, SpendView};
    vec![
        serde_json::Value::decl(cfg),
        crate::error::ErrorCode::decl(cfg),
        crate::error::Reason::decl(cfg),
        crate::error::Rule::decl(cfg),
        crate::error::KeptAsWritten::<crate::error::Reason>::decl(cfg),
        AppErrorOnTheWire::decl(cfg),
        crate::error::FieldError::decl(cfg),
        crate::error::Billing::decl(cfg),
        crate::request::GenerationRequest::decl(cfg),
        crate::request::Shot::decl(cfg),
        RecordStatus::decl(cfg),
        Take::decl(cfg),
        crate::client::Metrics::decl(cfg),
        crate::jobs::JobOnTheWire::decl(cfg),
        crate::jobs::StudioEvent::decl(cfg),
        crate::voices::VoiceStatus::decl(cfg),
        crate::voices::VoiceView::decl(cfg),
        crate::voices::StagedClip::decl(cfg),
        crate::voices::making::VoiceProgress::decl(cfg),
        crate::records::DamagedEntry::decl(cfg),
        crate::studio::form_rules::FormRules::decl(cfg),
        crate::studio::form_rules::VoiceMakingRules::decl(cfg),
        PriceView::decl(cfg),
        SpendView::decl(cfg),
        SavedKey::decl(cfg),
        LoadedSettings::decl(cfg),
        crate::studio::LibrarySnapshot::decl(cfg),
        Order::decl(cfg),
        AnotherTake::decl(cfg),
        crate::studio::PictureView::decl(cfg),
        crate::price::Estimate::decl(cfg),
        crate::price::Spend::decl(cfg),
        crate::price::Tier::decl(cfg),
        crate::price::Basis::decl(cfg),
        crate::jobs::library::EstimateMiss::decl(cfg),
        crate::keystore::KeyState::decl(cfg),
        crate::keystore::KeyStatus::decl(cfg),
        crate::i18n::PageWords::decl(cfg),
        crate::i18n::Language::decl(cfg),
        crate::support::PageFacts::decl(cfg),
        crate::app_menu::PageKey::decl(cfg),
        crate::app_menu::MenuAction::decl(cfg),
        crate::commands::HelpLink::decl(cfg),
        crate::commands::SavedFile::decl(cfg),
    ]
}

/// The whole file, as it must read.
fn contract() -> String {
    // Unix milliseconds and byte counts fit a JavaScript number.
    let cfg = Config::new().with_large_int("number");
    let mut text = String::from(
        "// GENERATED from the Rust types by src-tauri/src/contract.rs: do not edit.\n\
         // `UPDATE_CONTRACT=1 cargo test -p kling-studio contract` writes it again.\n\n",
    );
    for declaration in declarations(&cfg) {
        text.push_str("export ");
        text.push_str(declaration.trim());
        text.push_str("\n\n");
    }
    let commands: Vec<String> = crate::command_names::COMMANDS
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect();
    text.push_str("/** Every command the page may `invoke`. */\n");
    text.push_str(&format!(
        "export type Command = {};\n",
        commands.join(" | ")
    ));
    text
}

fn contract_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/contract.d.ts")
}

#[test]
fn the_page_contract_is_fresh() {
    let expected = contract();
    if std::env::var_os("UPDATE_CONTRACT").is_some() {
        std::fs::write(contract_path(), &expected).unwrap();
    }
    let written = std::fs::read_to_string(contract_path()).unwrap_or_default();
    assert!(
        written == expected,
        "ui/contract.d.ts is stale: run `UPDATE_CONTRACT=1 cargo test -p kling-studio contract`"
    );
}
