//! Every rule, in code order.

use super::rule::Rule;
use super::rules::*;

static RULES: &[&Rule] = &[
    &missing_cog_yaml::COG001,
    &invalid_cog_yaml::COG002,
    &missing_predict::COG003,
    &predict_target_not_found::COG004,
    &gpu_enabled::COG005,
    &ignored_build_key::COG006,
    &requirements_file_missing::COG007,
    &cog_version::REQ001,
    &replicate_version::REQ002,
    &package_not_in_runtime::REQ003,
    &invalid_requirement::REQ004,
    &runtime_package_not_listed::REQ005,
    &syntax_error::PY000,
    &use_not_at_module_scope::PY001,
    &use_ref_not_literal::PY002,
    &dict_output::PY003,
    &output_class_name::PY004,
    &list_of_output_class::PY005,
    &list_field_in_output::PY006,
    &nested_output_type::PY007,
    &optional_needs_none_type::PY008,
    &unsupported_import::PY009,
    &env_var_access::PY010,
    &secret_typed_as_str::PY011,
    &missing_annotation::PY012,
    &unsupported_input_type::PY013,
    &varargs_in_run::PY014,
    &deprecated_file_type::PY015,
    &schema_not_fetched::PY016,
    &unknown_model_input::PY017,
    &missing_required_model_input::PY018,
    &invalid_model_input_value::PY019,
    &object_output_attribute::PY020,
    &unknown_output_field::PY021,
    &list_output_as_single::PY022,
    &str_output_indexed::PY023,
    &async_misuse::PY024,
    &prediction_output_not_called::PY025,
    &legacy_pipeline_api::PY026,
    &replicate_run_instead_of_use::PY027,
    &class_predictor::PY028,
    &unused_run_input::PY029,
    &model_call_without_inputs::PY030,
    &none_input_sent_to_model::PY031,
    &scaffold_placeholder::PY032,
    &system_tool_not_in_runtime::PY033,
    &file_list_to_model::PY034,
    &unused_model_output::PY035,
];

/// Every rule, in code order.
pub fn rules() -> &'static [&'static Rule] {
    RULES
}

/// A rule by its code (`PY003`) or name (`dict-output`).
pub fn rule_by_code(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}
