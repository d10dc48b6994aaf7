//! One rule per file. Each file declares its rule with `declare_rule!`; the registry lists
//! them all.

mod helpers;
mod pins;

pub(crate) mod class_predictor;
pub(crate) mod cog_version;
pub(crate) mod deprecated_file_type;
pub(crate) mod dict_output;
pub(crate) mod env_var_access;
pub(crate) mod gpu_enabled;
pub(crate) mod ignored_build_key;
pub(crate) mod invalid_cog_yaml;
pub(crate) mod invalid_model_input_value;
pub(crate) mod invalid_requirement;
pub(crate) mod legacy_pipeline_api;
pub(crate) mod list_field_in_output;
pub(crate) mod list_of_output_class;
pub(crate) mod missing_annotation;
pub(crate) mod missing_cog_yaml;
pub(crate) mod missing_predict;
pub(crate) mod missing_required_model_input;
pub(crate) mod model_call_without_inputs;
pub(crate) mod nested_output_type;
pub(crate) mod optional_needs_none_type;
pub(crate) mod output_class_name;
pub(crate) mod package_not_in_runtime;
pub(crate) mod predict_target_not_found;
pub(crate) mod replicate_run_instead_of_use;
pub(crate) mod replicate_version;
pub(crate) mod requirements_file_missing;
pub(crate) mod runtime_package_not_listed;
pub(crate) mod schema_not_fetched;
pub(crate) mod secret_typed_as_str;
pub(crate) mod syntax_error;
pub(crate) mod unknown_model_input;
pub(crate) mod unsupported_import;
pub(crate) mod unsupported_input_type;
pub(crate) mod unused_run_input;
pub(crate) mod use_not_at_module_scope;
pub(crate) mod use_ref_not_literal;
pub(crate) mod varargs_in_run;
