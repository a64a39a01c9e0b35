# Stand-in for Coder's registry module coder/jetbrains 1.4.0 (registry.coder.com),
# which cannot be fetched here (no network but package registries). It
# declares the same input variables with the same types, and the same
# required ones (no default), as coder/registry
# registry/coder/modules/jetbrains/main.tf at commit 6be121e4f6eabd2f248cb9c81953af4c95457634
# (README version 1.4.0), so `terraform validate` refuses an unknown argument, a
# missing required one or a wrong type in our module call as the real module
# would. It does not model the module's resources, its variable validations,
# nor (jetbrains) its plan-time HTTP calls to JetBrains.
# Used by .ci/run and tests/e2e/workspace/eval-template.py (see tests/tf-standins/README.md).

variable "agent_id" {
  type = string
}

variable "agent_name" {
  type    = string
  default = null
}

variable "folder" {
  type = string
}

variable "default" {
  type    = set(string)
  default = null
}

variable "group" {
  type    = string
  default = null
}

variable "coder_app_order" {
  type    = number
  default = null
}

variable "coder_parameter_order" {
  type    = number
  default = null
}

variable "tooltip" {
  type    = string
  default = null
}

variable "major_version" {
  type    = string
  default = null
}

variable "channel" {
  type    = string
  default = null
}

variable "options" {
  type    = set(string)
  default = null
}

variable "releases_base_link" {
  type    = string
  default = null
}

variable "download_base_link" {
  type    = string
  default = null
}

variable "ide_config" {
  type    = map(object({ build = string, name = optional(string), icon = optional(string) }))
  default = null
}
