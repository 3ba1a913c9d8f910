//! Print the JSON Schema of the case format.
fn main() {
    print!("{}", rcs_harness::case::schema::case_schema_json());
}
