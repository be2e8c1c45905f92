//! What each key does. Pure: the run loop sends the returned command, so every key is testable
//! without a terminal.
use super::UiState;
use crate::core::{HostCommand, KeepReason, Snapshot, Threshold};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How far one `+`/`-` press moves a share threshold; counts move by one vote.
pub(crate) const PERCENT_STEP: u8 = 5;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum KeyOutcome {
    /// Nothing to send (the key was unknown, or only changed the view).
    None,
    Quit,
    Command(HostCommand),
    /// Show a one-time host link for the host's phone (`h`); the loop mints it.
    HostLink,
    /// Sign out every host phone (`x` while the host link shows).
    SignOutHosts,
}

pub(crate) fn on_key(key: KeyEvent, snap: &Snapshot, ui: &mut UiState) -> KeyOutcome {
    // Terminals with the keyboard enhancement protocol also report releases and repeats;
    // a held key must not fire a skip twice.
    if key.kind != KeyEventKind::Press {
        return KeyOutcome::None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Raw mode turns Ctrl-C into a key press instead of SIGINT.
        return match key.code {
            KeyCode::Char('c') => KeyOutcome::Quit,
            _ => KeyOutcome::None,
        };
    }
    let votes = &snap.votes;
    let cmd = match key.code {
        KeyCode::Char('q') => return KeyOutcome::Quit,
        KeyCode::Char('?') => {
            ui.help = !ui.help;
            return KeyOutcome::None;
        }
        KeyCode::Char('v') => {
            ui.qr = !ui.qr;
            ui.host_link = None;
            return KeyOutcome::None;
        }
        KeyCode::Char('h') if ui.host_link.is_some() => {
            ui.host_link = None;
            return KeyOutcome::None;
        }
        KeyCode::Char('h') => return KeyOutcome::HostLink,
        KeyCode::Char('x') if ui.host_link.is_some() => return KeyOutcome::SignOutHosts,
        KeyCode::Esc => {
            ui.help = false;
            ui.qr = false;
            ui.host_link = None;
            return KeyOutcome::None;
        }
        KeyCode::Char('s') => HostCommand::SkipNow,
        // Only the host's own keep is released by `k`; a protected artist stays protected.
        KeyCode::Char('k') => HostCommand::Keep(votes.keep != Some(KeepReason::Host)),
        KeyCode::Char('r') => HostCommand::ResetVotes,
        KeyCode::Char('p') if votes.paused => HostCommand::ResumeVoting,
        KeyCode::Char('p') => HostCommand::PauseVoting,
        // `=` is `+` without shift on most layouts.
        KeyCode::Char(c @ ('+' | '=' | '-')) => {
            let t = step(votes.threshold, c != '-');
            // At the end of its range a step changes nothing: nothing to send or log.
            if t == votes.threshold {
                return KeyOutcome::None;
            }
            HostCommand::SetThreshold(t)
        }
        // Guests' requests waiting for the host: the oldest first.
        KeyCode::Char(c @ ('a' | 'x')) => match super::requests::oldest_pending(snap) {
            Some(r) if c == 'a' => HostCommand::ApproveRequest(r.id),
            Some(r) => HostCommand::RejectRequest(r.id),
            None => return KeyOutcome::None,
        },
        _ => return KeyOutcome::None,
    };
    KeyOutcome::Command(cmd)
}

/// The threshold one step stricter (`up`) or looser, kept in its valid range.
pub(crate) fn step(t: Threshold, up: bool) -> Threshold {
    match t {
        Threshold::Count(n) if up => Threshold::Count(n.saturating_add(1)),
        Threshold::Count(n) => Threshold::Count(n.saturating_sub(1).max(1)),
        Threshold::Percent(p) if up => Threshold::Percent(p.saturating_add(PERCENT_STEP).min(100)),
        Threshold::Percent(p) => Threshold::Percent(p.saturating_sub(PERCENT_STEP).max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn run(key: KeyEvent, snap: &Snapshot) -> KeyOutcome {
        on_key(key, snap, &mut UiState::default())
    }

    fn cmd(c: HostCommand) -> KeyOutcome {
        KeyOutcome::Command(c)
    }

    #[test]
    fn plain_commands() {
        let snap = Snapshot::default();
        assert_eq!(run(press('s'), &snap), cmd(HostCommand::SkipNow));
        assert_eq!(run(press('r'), &snap), cmd(HostCommand::ResetVotes));
        assert_eq!(run(press('x'), &snap), KeyOutcome::None);
    }

    #[test]
    fn quit_on_q_and_ctrl_c_only() {
        let snap = Snapshot::default();
        assert_eq!(run(press('q'), &snap), KeyOutcome::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(run(ctrl_c, &snap), KeyOutcome::Quit);
        // Ctrl-S must not skip: modified letters are not commands.
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(run(ctrl_s, &snap), KeyOutcome::None);
    }

    #[test]
    fn keep_toggles_only_the_hosts_keep() {
        let mut snap = Snapshot::default();
        assert_eq!(run(press('k'), &snap), cmd(HostCommand::Keep(true)));
        snap.votes.keep = Some(KeepReason::Host);
        assert_eq!(run(press('k'), &snap), cmd(HostCommand::Keep(false)));
        snap.votes.keep = Some(KeepReason::ProtectedArtist("ABBA".into()));
        assert_eq!(run(press('k'), &snap), cmd(HostCommand::Keep(true)));
    }

    #[test]
    fn pause_toggles_with_the_snapshot() {
        let mut snap = Snapshot::default();
        assert_eq!(run(press('p'), &snap), cmd(HostCommand::PauseVoting));
        snap.votes.paused = true;
        assert_eq!(run(press('p'), &snap), cmd(HostCommand::ResumeVoting));
    }

    #[test]
    fn threshold_steps_counts_and_shares_within_range() {
        let mut snap = Snapshot::default();
        snap.votes.threshold = Threshold::Count(3);
        let set = |t| cmd(HostCommand::SetThreshold(t));
        assert_eq!(run(press('+'), &snap), set(Threshold::Count(4)));
        assert_eq!(run(press('='), &snap), set(Threshold::Count(4)));
        assert_eq!(run(press('-'), &snap), set(Threshold::Count(2)));
        snap.votes.threshold = Threshold::Count(1);
        assert_eq!(run(press('-'), &snap), KeyOutcome::None);
        snap.votes.threshold = Threshold::Percent(40);
        assert_eq!(run(press('+'), &snap), set(Threshold::Percent(45)));
        assert_eq!(run(press('-'), &snap), set(Threshold::Percent(35)));
        snap.votes.threshold = Threshold::Percent(98);
        assert_eq!(run(press('+'), &snap), set(Threshold::Percent(100)));
        snap.votes.threshold = Threshold::Percent(100);
        assert_eq!(run(press('+'), &snap), KeyOutcome::None);
        snap.votes.threshold = Threshold::Percent(3);
        assert_eq!(run(press('-'), &snap), set(Threshold::Percent(1)));
    }

    #[test]
    fn help_toggles_and_esc_closes() {
        let snap = Snapshot::default();
        let mut ui = UiState::default();
        assert_eq!(on_key(press('?'), &snap, &mut ui), KeyOutcome::None);
        assert!(ui.help);
        on_key(press('?'), &snap, &mut ui);
        assert!(!ui.help);
        on_key(press('?'), &snap, &mut ui);
        let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(on_key(esc, &snap, &mut ui), KeyOutcome::None);
        assert!(!ui.help);
        // Esc with nothing open stays harmless.
        on_key(esc, &snap, &mut ui);
        assert!(!ui.help);
    }

    #[test]
    fn v_toggles_the_qr_code_and_esc_closes_it() {
        let snap = Snapshot::default();
        let mut ui = UiState::default();
        assert_eq!(on_key(press('v'), &snap, &mut ui), KeyOutcome::None);
        assert!(ui.qr);
        on_key(
            KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            &snap,
            &mut ui,
        );
        assert!(!ui.qr);
    }

    #[test]
    fn every_key_that_does_something_is_in_the_help() {
        let snap = Snapshot::default();
        let listed: String = super::super::help::KEYS.iter().map(|(k, _)| *k).collect();
        for c in (' '..='~').filter(|c| !c.is_ascii_uppercase()) {
            let mut ui = UiState::default();
            if run(press(c), &snap) != KeyOutcome::None || {
                on_key(press(c), &snap, &mut ui);
                ui.help
            } {
                // `=` is the unshifted `+`, documented as `+`.
                assert!(
                    c == '=' || listed.contains(c),
                    "key {c:?} is missing from the help"
                );
            }
        }
    }

    #[test]
    fn h_asks_for_a_host_link_and_x_signs_out_only_while_it_shows() {
        let snap = Snapshot::default();
        let mut ui = UiState::default();
        assert_eq!(on_key(press('x'), &snap, &mut ui), KeyOutcome::None);
        assert_eq!(on_key(press('h'), &snap, &mut ui), KeyOutcome::HostLink);
        ui.host_link = Some("http://10.0.0.2:8080/h/00".into());
        assert_eq!(on_key(press('x'), &snap, &mut ui), KeyOutcome::SignOutHosts);
        // h again closes it; so does Esc.
        assert_eq!(on_key(press('h'), &snap, &mut ui), KeyOutcome::None);
        assert_eq!(ui.host_link, None);
        ui.host_link = Some("http://10.0.0.2:8080/h/00".into());
        on_key(
            KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            &snap,
            &mut ui,
        );
        assert_eq!(ui.host_link, None);
    }

    #[test]
    fn releases_and_repeats_are_ignored() {
        let snap = Snapshot::default();
        for kind in [KeyEventKind::Release, KeyEventKind::Repeat] {
            let key = KeyEvent {
                code: KeyCode::Char('s'),
                modifiers: KeyModifiers::NONE,
                kind,
                state: KeyEventState::NONE,
            };
            assert_eq!(run(key, &snap), KeyOutcome::None);
        }
    }
}
