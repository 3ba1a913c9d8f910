//! Case files: the model, the loader with located diagnostics, and the JSON Schema for editors.

pub mod bot_field;
pub mod carriers;
pub mod check_parse;
pub mod duration;
pub mod error;
pub mod loader;
pub mod model;
pub mod raw;
pub mod refs;
pub mod schema;
pub mod suggest;

pub use carriers::{Binding, CarrierRef, Symbol};
pub use error::CaseError;
pub use loader::{find_case_files, load_case, parse_case};
pub use model::*;
