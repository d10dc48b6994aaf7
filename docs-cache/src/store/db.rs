//! Reads and writes inside one open sled database.

use super::error::DbFail;

/// (tree, key, bytes) of one write, to update the memo.
pub(super) type Written = (String, String, Vec<u8>);

pub(super) fn open_tree(db: &sled::Db, tree: &str) -> Result<sled::Tree, DbFail> {
    db.open_tree(tree).map_err(DbFail::from)
}

pub(super) fn db_get(db: &sled::Db, tree: &str, key: &str) -> Result<Option<Vec<u8>>, DbFail> {
    let t = open_tree(db, tree)?;
    Ok(t.get(key.as_bytes())?.map(|v| v.to_vec()))
}

pub(super) fn db_insert(
    db: &sled::Db,
    written: &mut Vec<Written>,
    tree: &str,
    key: &str,
    bytes: Vec<u8>,
) -> Result<(), DbFail> {
    let t = open_tree(db, tree)?;
    t.insert(key.as_bytes(), bytes.as_slice())?;
    written.push((tree.to_owned(), key.to_owned(), bytes));
    Ok(())
}
