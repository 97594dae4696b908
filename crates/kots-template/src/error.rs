//! The crate's one error type. Messages follow Go's `text/template` wording
//! (`template: NAME:LINE:COL: …`) so that a vendor who knows Go's errors recognises ours.

/// Where in a template something happened: the template's name, 1-based line and column
/// (column counted in bytes from the line start, as Go does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub name: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.name, self.line, self.column)
    }
}

/// Everything that can go wrong while parsing or executing a template.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The template text is not a valid template (unclosed action, unknown function, …).
    #[error("template: {name}:{line}: {message}")]
    Parse { name: String, line: usize, message: String },
    /// Executing the template failed: a function returned an error, a type was wrong, a key was
    /// missing under `missingkey=error`, or `fail` was called.
    #[error("template: {position}: executing \"{template}\" at <{context}>: {message}")]
    Exec {
        position: Position,
        /// The template being executed (may differ from `position.name` inside `template` calls).
        template: String,
        /// The source text of the node being evaluated, as Go shows it between `<…>`.
        context: String,
        message: String,
    },
    /// The execution budget (steps, output bytes or call depth) ran out: a runaway template.
    #[error("template: {position}: {message}")]
    Budget { position: Position, message: String },
    /// No template with that name was defined.
    #[error("template: no template {name:?} associated with template {set:?}")]
    NoTemplate { name: String, set: String },
    /// KOTS's config items cannot be resolved: they depend on each other in a cycle, or on
    /// items that do not exist (KOTS's own words).
    #[error("no config options exist with 0 dependencies - {blocked}")]
    ConfigDependencies {
        /// `"a" depends on "b"` for each item left, joined with `; `.
        blocked: String,
    },
    /// A KOTS operation around templating failed: decrypting a stored secret, reading or
    /// writing a Config document (the message says which).
    #[error("{0}")]
    Kots(String),
    /// Writing the output failed.
    #[error("template output: {0}")]
    Io(#[from] std::io::Error),
}
