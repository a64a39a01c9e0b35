# Stand-in for Coder's registry module coder/code-server 1.5.2 (registry.coder.com),
# which cannot be fetched here (no network but package registries). It
# declares the same input variables with the same types, and the same
# required ones (no default), as coder/registry
# registry/coder/modules/code-server/main.tf at commit 6be121e4f6eabd2f248cb9c81953af4c95457634
# (README version 1.5.2), so `terraform validate` refuses an unknown argument, a
# missing required one or a wrong type in our module call as the real module
# would. It does not model the module's resources, its variable validations,
# nor (jetbrains) its plan-time HTTP calls to JetBrains.
# Used by .ci/run and tests/e2e/workspace/eval-template.py (see tests/tf-standins/README.md).

variable "agent_id" {
  type = string
}

variable "extensions" {
  type    = list(string)
  default = null
}

variable "port" {
  type    = number
  default = null
}

variable "display_name" {
  type    = string
  default = null
}

variable "slug" {
  type    = string
  default = null
}

variable "settings" {
  type    = any
  default = null
}

variable "machine_settings" {
  type    = any
  default = null
}

variable "folder" {
  type    = string
  default = null
}

variable "workspace" {
  type    = string
  default = null
}

variable "install_prefix" {
  type    = string
  default = null
}

variable "log_path" {
  type    = string
  default = null
}

variable "install_version" {
  type    = string
  default = null
}

variable "share" {
  type    = string
  default = null
}

variable "order" {
  type    = number
  default = null
}

variable "group" {
  type    = string
  default = null
}

variable "offline" {
  type    = bool
  default = null
}

variable "use_cached" {
  type    = bool
  default = null
}

variable "use_cached_extensions" {
  type    = bool
  default = null
}

variable "extensions_dir" {
  type    = string
  default = null
}

variable "auto_install_extensions" {
  type    = bool
  default = null
}

variable "subdomain" {
  type    = bool
  default = null
}

variable "open_in" {
  type    = string
  default = null
}

variable "additional_args" {
  type    = string
  default = null
}
