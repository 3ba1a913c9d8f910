//! placeholder
pub struct HtmlReport;
