//! Comparing PEP 440 specifier sets: does a pin overlap a requirement, does it allow more?
//!
//! `pep440_rs` answers "is this version allowed"; two sets are compared on probe versions
//! placed at and around every boundary either set mentions, which is exact for the
//! operators PEP 440 defines.

use std::ops::ControlFlow;

use pep440_rs::{Version, VersionSpecifiers};

/// Calls `visit` with each probe version, at and around every boundary `sets` mention,
/// until it breaks: built one at a time, so a caller that is answered by an early probe
/// builds no more.
fn probes(sets: &[&VersionSpecifiers], mut visit: impl FnMut(&Version) -> ControlFlow<()>) {
    for v in [
        Version::new([0u64]),
        Version::new([0u64, 0, 1]),
        Version::new([99_999u64]),
    ] {
        if visit(&v).is_break() {
            return;
        }
    }
    for set in sets {
        for spec in set.iter() {
            if around(spec.version(), &mut visit).is_break() {
                return;
            }
        }
    }
}

/// The probes around one boundary version.
fn around(
    boundary: &Version,
    visit: &mut impl FnMut(&Version) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let v = boundary.clone().without_local();
    visit(&v)?;
    if v.dev().is_none() {
        visit(&v.clone().with_dev(Some(0)))?;
    }
    visit(&v.clone().with_post(Some(v.post().map_or(0, |p| p + 1))))?;
    let release = v.release();
    let mut longer = release.to_vec();
    longer.push(1);
    visit(&Version::new(longer))?;
    if let Some((last, head)) = release.split_last() {
        let mut next = head.to_vec();
        next.push(last + 1);
        visit(&Version::new(next))?;
        if *last > 0 {
            let mut prev = head.to_vec();
            prev.push(last - 1);
            prev.push(99_999);
            visit(&Version::new(prev))?;
        }
    }
    ControlFlow::Continue(())
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
    probes(sets, |v| {
        if !a.contains(v) {
            return ControlFlow::Continue(());
        }
        if same || b.contains(v) {
            out.overlaps = true;
            if same {
                return ControlFlow::Break(());
            }
        } else {
            out.allows_outside = true;
        }
        if out.overlaps && out.allows_outside {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
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
