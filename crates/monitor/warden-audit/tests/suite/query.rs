//! Searching and exporting.

use pretty_assertions::assert_eq;
use warden_audit::{AuditReader, Filter, Kind};

use super::log_with;

#[test]
fn search_by_session_rule_decision_and_kind() {
    let (dir, _log) = log_with(30);
    let r = AuditReader::open(dir.path()).unwrap();
    let n = |f: Filter| r.search(&f).unwrap().len();
    assert_eq!(n(Filter::default()), 30);
    assert_eq!(
        n(Filter {
            session: Some("s1".into()),
            ..Filter::default()
        }),
        15
    );
    assert_eq!(
        n(Filter {
            rule: Some("credentials.ssh".into()),
            ..Filter::default()
        }),
        10
    );
    assert_eq!(
        n(Filter {
            decision: Some("deny".into()),
            ..Filter::default()
        }),
        10
    );
    assert_eq!(
        n(Filter {
            kind: Some(Kind::Admin),
            ..Filter::default()
        }),
        0
    );
    assert_eq!(
        n(Filter {
            since: Some(warden_audit::now_ms() + 60_000),
            ..Filter::default()
        }),
        0
    );
    let tail = r
        .search(&Filter {
            limit: Some(3),
            latest: true,
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(
        tail.iter().map(|x| x.seq).collect::<Vec<_>>(),
        vec![28, 29, 30]
    );
}

#[test]
fn ocsf_export_is_api_activity() {
    let (dir, _log) = log_with(3);
    let r = AuditReader::open(dir.path()).unwrap();
    let recs = r.search(&Filter::default()).unwrap();
    let ev = warden_audit::ocsf_event(&recs[2]);
    assert_eq!(ev["class_uid"], 6003);
    assert_eq!(ev["type_uid"], 600399);
    assert_eq!(ev["disposition"], "Blocked");
    assert_eq!(ev["policy"]["uid"], "credentials.ssh");
    assert_eq!(ev["actor"]["session"]["uid"], "s1");
    assert_eq!(ev["metadata"]["sequence"], 3);
}
