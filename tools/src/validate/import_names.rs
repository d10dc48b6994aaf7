//! Import names that differ from the distribution that provides them.

/// `(import name, distribution)`, for the common cases where they differ.
pub(crate) const IMPORT_TO_DIST: &[(&str, &str)] = &[
    ("Crypto", "pycryptodome"),
    ("OpenSSL", "pyopenssl"),
    ("PIL", "pillow"),
    ("attr", "attrs"),
    ("bs4", "beautifulsoup4"),
    ("cv2", "opencv-python"),
    ("dateutil", "python-dateutil"),
    ("docx", "python-docx"),
    ("dotenv", "python-dotenv"),
    ("fitz", "pymupdf"),
    ("git", "gitpython"),
    ("jose", "python-jose"),
    ("jwt", "pyjwt"),
    ("magic", "python-magic"),
    ("multipart", "python-multipart"),
    ("pptx", "python-pptx"),
    ("serial", "pyserial"),
    ("skimage", "scikit-image"),
    ("sklearn", "scikit-learn"),
    ("slugify", "python-slugify"),
    ("yaml", "pyyaml"),
];

/// The distribution (PEP 503-normalised) that provides a top-level import.
pub(crate) fn distribution_for(import: &str) -> String {
    IMPORT_TO_DIST
        .iter()
        .find(|(i, _)| *i == import)
        .map_or_else(
            || super::requirements::normalize(import),
            |(_, d)| (*d).to_string(),
        )
}
