//! The console's settings: the keymap and the theme.

use super::keymap::Keymap;
use super::theme::Theme;

/// What a user may set about the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub keys: Keymap,
    pub theme: Theme,
}
