//! The window as a table of moves: what may start, what the cursor may pass.
use super::*;

fn t0() -> Instant {
    Instant::now()
}

fn window(limit: usize) -> Window<&'static str, ()> {
    Window::new(limit, Duration::from_secs(1), Duration::from_secs(8))
}

fn letter(reason: &str) -> DeadLetter {
    DeadLetter {
        status: 400,
        reason: reason.into(),
        event: serde_json::Value::Null,
    }
}

#[tokio::test(start_paused = true)]
async fn answers_out_of_order_pass_the_cursor_in_order() {
    let now = t0();
    let mut w = window(3);
    // Three lines, one call each, ending at 10, 20, 30.
    for (i, item) in ["a", "b", "c"].into_iter().enumerate() {
        w.seal(
            vec![item],
            10 * (i as u64 + 1),
            Some(i as u64),
            None,
            1,
            now,
        );
    }
    assert!(!w.room(), "three sends outstanding fill a window of three");
    let started = w.start(now);
    assert_eq!(started, [(0, 0), (1, 0), (2, 0)]);
    assert_eq!(w.in_flight(), 3);
    // The last and the middle answer first: the cursor may not pass the first line yet.
    w.accepted((2, 0));
    w.accepted((1, 0));
    assert!(w.pass().is_none());
    assert!(w.room());
    w.accepted((0, 0));
    let p = w.pass().expect("all three finished");
    assert_eq!((p.end, p.last_seq), (30, Some(2)));
    assert_eq!(w.backlog().0, 0);
}

#[tokio::test(start_paused = true)]
async fn no_more_than_the_limit_fly_and_the_rest_start_as_places_free() {
    let now = t0();
    let mut w = window(2);
    w.seal(vec!["a", "b", "c", "d"], 10, Some(0), None, 1, now);
    assert_eq!(w.start(now).len(), 2);
    assert!(w.start(now).is_empty(), "the window is full");
    assert_eq!(w.next_start(), None);
    w.accepted((0, 1));
    assert_eq!(w.start(now), [(0, 2)]);
    w.accepted((0, 0));
    w.accepted((0, 2));
    assert_eq!(w.start(now), [(0, 3)]);
    assert!(w.pass().is_none());
    w.accepted((0, 3));
    assert_eq!(w.pass().unwrap().end, 10);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_holds_every_send_not_just_its_own() {
    let now = t0();
    let mut w = window(4);
    w.seal(vec!["a", "b", "c"], 10, Some(0), None, 1, now);
    let _ = w.start(now);
    // "a" is told to come back in 30 s; "b" failed with no hint, "c" was accepted.
    let wait = w.retry(
        (0, 0),
        Some(Duration::from_secs(30)),
        Duration::ZERO,
        true,
        now,
    );
    assert!(wait >= Duration::from_secs(30));
    w.retry((0, 1), None, Duration::ZERO, false, now);
    w.accepted((0, 2));
    assert!(w.failing());
    // "b"'s own back-off is at most 1 s, but nothing starts before the hold ends.
    assert!(w.start(now + Duration::from_secs(2)).is_empty());
    assert_eq!(w.next_start(), Some(now + Duration::from_secs(30)));
    let later = now + wait;
    assert_eq!(w.start(later), [(0, 0), (0, 1)]);
}

#[tokio::test(start_paused = true)]
async fn a_refused_send_is_split_and_a_refused_item_kept_until_the_cursor_passes() {
    let now = t0();
    let mut w = window(1);
    w.seal(vec!["a", "b", "c"], 10, Some(0), None, 10, now);
    w.seal(vec![], 15, Some(1), None, 10, now);
    assert_eq!(w.start(now), [(0, 0)]);
    assert_eq!(w.items((0, 0)), ["a", "b", "c"]);
    assert!(w.split((0, 0), now));
    assert_eq!(w.start(now), [(0, 0)]);
    assert_eq!(w.items((0, 0)), ["a"]);
    assert!(!w.split((0, 0), now), "one item is not split");
    w.dead((0, 0), vec![letter("bad a")]);
    assert_eq!(w.start(now), [(0, 1)]);
    w.accepted((0, 1));
    let p = w.pass().expect("the batch and the empty one behind it");
    assert_eq!((p.end, p.last_seq), (15, Some(1)));
    assert_eq!(p.dead.len(), 1);
    assert_eq!(p.dead[0].reason, "bad a");
}

#[tokio::test(start_paused = true)]
async fn a_429_that_says_not_how_long_holds_for_the_back_off() {
    let now = t0();
    let mut w = window(2);
    w.seal(vec!["a", "b"], 10, Some(0), None, 1, now);
    let _ = w.start(now);
    let wait = w.retry((0, 0), Some(Duration::ZERO), Duration::ZERO, true, now);
    assert!(wait >= Duration::from_millis(500) && wait <= Duration::from_secs(1));
    w.retry((0, 1), None, Duration::ZERO, false, now);
    // "b"'s own back-off (up to 1 s) may end before or after; it never starts before "a"'s.
    assert!(w.start(now + wait - Duration::from_millis(1)).is_empty());
    assert_eq!(w.start(now + Duration::from_secs(1)).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn sends_waiting_to_retry_do_not_stop_the_others_but_bound_the_read_ahead() {
    let now = t0();
    let mut w = window(2);
    // One dead webhook: both its calls fail and wait out their back-off.
    w.seal(vec!["dead-1", "dead-2"], 10, Some(0), None, 1, now);
    assert!(!w.room());
    assert_eq!(w.start(now).len(), 2);
    w.retry((0, 0), None, Duration::ZERO, false, now);
    w.retry((0, 1), None, Duration::ZERO, false, now);
    assert!(
        w.room(),
        "calls to other webhooks may be read while those wait"
    );
    w.seal(vec!["lights"], 20, Some(1), None, 1, now);
    assert_eq!(w.start(now), [(1, 0)], "and go out at once");
    w.accepted((1, 0));
    // Eight outstanding (4 windows of 2) is as far as the outbox reads past the dead calls.
    for i in 0..6 {
        assert!(w.room(), "{i}");
        w.seal(vec!["more"], 30 + i, Some(2 + i), None, 1, now);
        let started = w.start(now);
        w.retry(started[0], None, Duration::ZERO, false, now);
    }
    assert!(!w.room(), "no further read-ahead");
    // A single-send window (the events API) reads nothing past a send waiting to retry.
    let mut one = window(1);
    one.seal(vec!["a"], 10, Some(0), None, 1, now);
    let k = one.start(now)[0];
    one.retry(k, None, Duration::ZERO, false, now);
    assert!(!one.room());
}
