//! Comparing PEP 440 specifier sets: does a pin overlap a requirement, does it allow more?
//!
//! `pep440_rs` answers "is this version allowed"; two sets are compared on probe versions
//! placed at and around every boundary either set mentions, which is exact for the
//! operators PEP 440 defines.

use pep440_rs::{Version, VersionSpecifiers};

fn probes(sets: &[&VersionSpecifiers]) -> Vec<Version> {
    let mut out = vec![
        Version::new([0u64]),
        Version::new([0u64, 0, 1]),
        Version::new([99_999u64]),
    ];
    for set in sets {
        for spec in set.iter() {
            let v = spec.version().clone().without_local();
            let release: Vec<u64> = v.release().to_vec();
            out.push(v.clone());
            if v.dev().is_none() {
                out.push(v.clone().with_dev(Some(0)));
            }
            out.push(v.clone().with_post(Some(v.post().map_or(0, |p| p + 1))));
            let mut longer = release.clone();
            longer.push(1);
            out.push(Version::new(longer));
            if let Some((last, head)) = release.split_last() {
                let mut next = head.to_vec();
                next.push(last + 1);
                out.push(Version::new(next));
                if *last > 0 {
                    let mut prev = head.to_vec();
                    prev.push(last - 1);
                    prev.push(99_999);
                    out.push(Version::new(prev));
                }
            }
        }
    }
    out
}

/// Whether some version satisfies both sets.
pub(crate) fn overlaps(a: &VersionSpecifiers, b: &VersionSpecifiers) -> bool {
    relation(a, b).overlaps
}

/// Whether `a` allows some version that `b` does not.
#[cfg(test)]
pub(crate) fn allows_outside(a: &VersionSpecifiers, b: &VersionSpecifiers) -> bool {
    relation(a, b).allows_outside
}

/// How a set `a` relates to a set `b`, from one set of probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Relation {
    /// Some version satisfies both sets.
    pub overlaps: bool,
    /// `a` allows some version that `b` does not.
    pub allows_outside: bool,
}

/// [`overlaps`] and [`allows_outside`] of `a` and `b`, each probe tested once per set. A set
/// allows nothing outside itself (a pin written as the spec's requirement).
pub(crate) fn relation(a: &VersionSpecifiers, b: &VersionSpecifiers) -> Relation {
    let mut out = Relation {
        overlaps: false,
        allows_outside: false,
    };
    let same = a == b;
    let sets: &[&VersionSpecifiers] = if same { &[a] } else { &[a, b] };
    for v in probes(sets) {
        if !a.contains(&v) {
            continue;
        }
        if same || b.contains(&v) {
            out.overlaps = true;
            if same {
                break;
            }
        } else {
            out.allows_outside = true;
        }
        if out.overlaps && out.allows_outside {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn s(x: &str) -> VersionSpecifiers {
        VersionSpecifiers::from_str(x).unwrap()
    }

    #[test]
    fn overlap_and_containment() {
        let cog = s(">=0.15.3");
        assert!(overlaps(&s("==0.16.1"), &cog));
        assert!(!overlaps(&s("==0.15.2"), &cog));
        assert!(!overlaps(&s("<0.15.3"), &cog));
        assert!(allows_outside(&s(">=0.15"), &cog));
        assert!(!allows_outside(&s(">=0.16,<0.17"), &cog));
        assert!(allows_outside(&s(""), &cog));
        let rep = s(">=1.1.0b1,<2.0.0a1");
        assert!(overlaps(&s("==1.1.0b3"), &rep));
        assert!(!overlaps(&s("==0.34.1"), &rep));
        assert!(!overlaps(&s(">=2"), &rep));
        assert!(allows_outside(&s(">=1.0"), &rep));
        assert!(!overlaps(&s(">=2"), &s("<2")));
        assert!(overlaps(&s(">=1.10"), &s("<2")));
        assert!(overlaps(&s("==1.10.*"), &s("<2")));
        // A set and itself: nothing outside; no overlap when nothing satisfies it.
        for set in [">=1.1.0b1,<2.0.0a1", "==0.16.1", "", ">=2,<1"] {
            let r = relation(&s(set), &s(set));
            assert!(!r.allows_outside, "{set}");
            assert_eq!(r.overlaps, set != ">=2,<1", "{set}");
        }
    }
}
