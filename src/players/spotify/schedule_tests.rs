use super::*;

const T0: Timestamp = Timestamp::from_millis(1_000_000);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn playing(track: &str, progress: Duration, duration: Duration) -> Answer {
    Answer::Playback {
        track: Some(track.into()),
        is_playing: true,
        progress: Some(progress),
        duration: Some(duration),
    }
}

fn paused(track: &str) -> Answer {
    Answer::Playback {
        track: Some(track.into()),
        is_playing: false,
        progress: Some(secs(10)),
        duration: Some(secs(200)),
    }
}

/// One answer after another, each at its own time: (answer, at, expected delay, expected why).
fn run(steps: &[(Answer, Timestamp, Duration, Why)]) {
    let mut s = Scheduler::new();
    for (i, (answer, at, delay, why)) in steps.iter().enumerate() {
        let next = s.next(answer, *at);
        assert_eq!(
            next,
            Next {
                at: *at + *delay,
                why: why.clone()
            },
            "step {i}: {answer:?} at {at}"
        );
    }
}

#[test]
fn single_answers() {
    let ad = Answer::Playback {
        track: None,
        is_playing: true,
        progress: Some(secs(3)),
        duration: None,
    };
    let cases: Vec<(Answer, Duration, Why)> = vec![
        // Long before the end: a routine check for changes made in the app.
        (
            playing("a", secs(10), secs(200)),
            MANUAL_CHECK,
            Why::ManualCheck,
        ),
        // Ends in 5 s: poll 0.5 s after the predicted end.
        (
            playing("a", secs(195), secs(200)),
            ms(5_500),
            Why::TrackEnds,
        ),
        // Ends in exactly the routine interval minus the margin: the end poll wins.
        (
            playing("a", ms(188_500), secs(200)),
            ms(12_000),
            Why::TrackEnds,
        ),
        // Just past the predicted end and still reported: not sooner than MIN_GAP.
        (
            playing("a", ms(200_100), secs(200)),
            MIN_GAP,
            Why::TrackEnds,
        ),
        // Long past its end: a stuck device, back to routine checks.
        (
            playing("a", secs(230), secs(200)),
            MANUAL_CHECK,
            Why::ManualCheck,
        ),
        (paused("a"), PAUSED_CHECK, Why::Paused),
        (Answer::NothingPlaying, IDLE_CHECK, Why::Idle),
        (ad, MANUAL_CHECK, Why::ManualCheck),
        (
            Answer::RateLimited(secs(7)),
            secs(7),
            Why::RateLimited(secs(7)),
        ),
        // Retry-After values of hours are honoured to the second.
        (
            Answer::RateLimited(secs(3 * 3600 + 17)),
            secs(3 * 3600 + 17),
            Why::RateLimited(secs(3 * 3600 + 17)),
        ),
        (
            Answer::ServerError,
            BACKOFF_FIRST,
            Why::Backoff {
                failures: 1,
                wait: BACKOFF_FIRST,
            },
        ),
        (
            Answer::Skipped { track: "a".into() },
            AFTER_SKIP,
            Why::AfterSkip,
        ),
    ];
    for (answer, delay, why) in cases {
        run(&[(answer, T0, delay, why)]);
    }
}

#[test]
fn server_errors_back_off_exponentially_and_reset_on_success() {
    let b = |failures, s| Why::Backoff {
        failures,
        wait: secs(s),
    };
    let mut steps = vec![];
    let mut at = T0;
    for (n, wait) in [
        (1, 2),
        (2, 4),
        (3, 8),
        (4, 16),
        (5, 32),
        (6, 64),
        (7, 120),
        (8, 120),
    ] {
        steps.push((Answer::ServerError, at, secs(wait), b(n, wait)));
        at = at + secs(wait);
    }
    steps.push((
        playing("a", secs(1), secs(200)),
        at,
        MANUAL_CHECK,
        Why::ManualCheck,
    ));
    let at = at + MANUAL_CHECK;
    steps.push((Answer::ServerError, at, secs(2), b(1, 2)));
    run(&steps);
}

#[test]
fn our_skip_is_confirmed_quickly_then_routine_resumes() {
    let t1 = T0 + AFTER_SKIP;
    let t2 = t1 + SKIP_RECHECK;
    run(&[
        (
            Answer::Skipped { track: "a".into() },
            T0,
            AFTER_SKIP,
            Why::AfterSkip,
        ),
        // Spotify still reports the skipped track: look again soon.
        (
            playing("a", secs(60), secs(200)),
            t1,
            SKIP_RECHECK,
            Why::AfterSkip,
        ),
        // The next track: normal schedule.
        (
            playing("b", ms(200), secs(200)),
            t2,
            MANUAL_CHECK,
            Why::ManualCheck,
        ),
        // The same track id later (played again) is not mistaken for a pending skip.
        (
            playing("a", secs(1), secs(200)),
            t2 + secs(300),
            MANUAL_CHECK,
            Why::ManualCheck,
        ),
    ]);
}

#[test]
fn a_skip_that_never_lands_stops_rechecking_after_patience() {
    let late = T0 + SKIP_PATIENCE;
    run(&[
        (
            Answer::Skipped { track: "a".into() },
            T0,
            AFTER_SKIP,
            Why::AfterSkip,
        ),
        (
            playing("a", secs(60), secs(200)),
            T0 + secs(1),
            SKIP_RECHECK,
            Why::AfterSkip,
        ),
        (
            playing("a", secs(65), secs(200)),
            late,
            MANUAL_CHECK,
            Why::ManualCheck,
        ),
        // Patience spent: the same track no longer counts as pending.
        (
            playing("a", secs(66), secs(200)),
            late + secs(1),
            MANUAL_CHECK,
            Why::ManualCheck,
        ),
    ]);
}

#[test]
fn paused_after_a_skip_is_just_paused_once_the_track_changed() {
    run(&[
        (
            Answer::Skipped { track: "a".into() },
            T0,
            AFTER_SKIP,
            Why::AfterSkip,
        ),
        (paused("b"), T0 + AFTER_SKIP, PAUSED_CHECK, Why::Paused),
    ]);
}

#[test]
fn retry_after_parsing() {
    assert_eq!(parse_retry_after(Some("7")), secs(7));
    assert_eq!(parse_retry_after(Some(" 36000 ")), secs(36_000));
    assert_eq!(parse_retry_after(Some("soon")), RETRY_AFTER_DEFAULT);
    assert_eq!(parse_retry_after(None), RETRY_AFTER_DEFAULT);
    // Found by fuzzing (tests/fuzz/requests.rs): u64::MAX seconds overflowed the search's
    // `Instant::now() + d` (a panic holding, and so poisoning, the search limits lock).
    assert_eq!(
        parse_retry_after(Some("18446744073709551615")),
        RETRY_AFTER_MAX
    );
    assert_eq!(parse_retry_after(Some("100000")), RETRY_AFTER_MAX);
}

#[test]
fn human_durations() {
    assert_eq!(human(ms(450)), "450 ms");
    assert_eq!(human(secs(12)), "12 s");
    assert_eq!(human(secs(300)), "5 min");
    assert_eq!(human(secs(3 * 3600 + 17 * 60)), "3 h 17 min");
    assert_eq!(
        Why::RateLimited(secs(7200)).to_string(),
        "rate limited: Spotify said wait 2 h 0 min"
    );
}
