# Docker flavour: each workspace is a container on the Docker host that runs
# Coder's provisioner. Docker runs INSIDE the workspace (privileged or
# sysbox-runc); the host's Docker socket is never mounted into it.
# Shared pieces (agent, parameters, the Convex module call) are in convex.tf;
# the Convex apps, scripts and URLs are in modules/convex/.

terraform {
  required_providers {
    coder = {
      source  = "coder/coder"
      version = ">= 2.15.0, < 3.0.0"
    }
    docker = {
      source  = "kreuzwerker/docker"
      version = "~> 4.0"
    }
  }
}

variable "docker_host" {
  type        = string
  description = "(Optional) Address of the host's Docker daemon that creates the workspaces, e.g. unix:///var/run/docker.sock. Empty: the provider's default."
  default     = ""
}

variable "dns_servers" {
  type        = list(string)
  description = "(Optional) DNS servers for the workspace container. The Docker daemon inside the workspace hands the workspace's non-loopback nameservers to the Convex containers, so set this when the host only has a loopback resolver (systemd-resolved) or its resolvers cannot see internal names (S3 endpoint, Coder access URL)."
  default     = []
}

provider "docker" {
  host = var.docker_host != "" ? var.docker_host : null
}

# Coder's labels, as in its docker template.
locals {
  # The Docker socket the provider uses on the provisioner host (unix:// or
  # the default); "" for tcp:// or ssh:// hosts, which are not checked.
  docker_socket_path = var.docker_host == "" ? "/var/run/docker.sock" : (startswith(var.docker_host, "unix://") ? trimprefix(var.docker_host, "unix://") : "")
  # fileexists() is false when nothing is at the path and fails on a socket
  # ("socket, not a regular file"): true here means no socket at all.
  docker_socket_absent = local.docker_socket_path != "" && !try(fileexists(local.docker_socket_path), true)

  volume_labels = {
    "coder.owner"                      = data.coder_workspace_owner.me.name
    "coder.owner_id"                   = data.coder_workspace_owner.me.id
    "coder.workspace_id"               = data.coder_workspace.me.id
    "coder.workspace_name_at_creation" = data.coder_workspace.me.name
  }
  container_labels = {
    "coder.owner"          = data.coder_workspace_owner.me.name
    "coder.owner_id"       = data.coder_workspace_owner.me.id
    "coder.workspace_id"   = data.coder_workspace.me.id
    "coder.workspace_name" = data.coder_workspace.me.name
  }
}

resource "docker_volume" "home" {
  name = "coder-${data.coder_workspace.me.id}-home"

  # Protect the volume from being deleted due to changes in attributes.
  lifecycle {
    ignore_changes = all

    # A clear message at plan time instead of the provider's connection error.
    precondition {
      condition     = !local.docker_socket_absent
      error_message = "There is no Docker socket at ${local.docker_socket_path} on the host that runs Coder's provisioner. This template creates each workspace as a container there: install and start Docker on that host, give the user running Coder access to the socket (the docker group), or set the docker_host variable to the daemon's address (coder templates push --var docker_host=unix:///path/to/docker.sock). (Only the socket's presence is checked here; a stopped daemon or a permission problem still ends in the Docker provider's own error.)"
    }
  }

  dynamic "labels" {
    for_each = local.volume_labels
    content {
      label = labels.key
      value = labels.value
    }
  }
}

# Images, containers and the Convex data volume of the inner Docker daemon:
# without it every stop/start would lose the backend's data.
resource "docker_volume" "docker" {
  name = "coder-${data.coder_workspace.me.id}-docker"

  lifecycle {
    ignore_changes = all
  }

  dynamic "labels" {
    for_each = local.volume_labels
    content {
      label = labels.key
      value = labels.value
    }
  }
}

resource "docker_container" "workspace" {
  count = data.coder_workspace.me.start_count

  image    = var.workspace_image
  name     = "coder-${local.owner_name}-${local.workspace_name}"
  hostname = data.coder_workspace.me.name
  env      = ["CODER_AGENT_TOKEN=${local.agent_token}"]
  dns      = var.dns_servers

  # A localhost access URL is reached through the host gateway (as in Coder's docker template).
  entrypoint = ["sh", "-c", replace(local.workspace_command, "/localhost|127\\.0\\.0\\.1/", "host.docker.internal")]

  # Docker-in-Docker: privileged, or the sysbox-runc runtime without privileges.
  privileged = var.docker_runtime == "privileged"
  runtime    = var.docker_runtime == "sysbox" ? "sysbox-runc" : null

  # Time for the stop script (docker compose stop, service docker stop).
  destroy_grace_seconds = 200

  host {
    host = "host.docker.internal"
    ip   = "host-gateway"
  }

  volumes {
    container_path = local.home_dir
    volume_name    = docker_volume.home.name
    read_only      = false
  }

  volumes {
    container_path = "/var/lib/docker"
    volume_name    = docker_volume.docker.name
    read_only      = false
  }

  dynamic "labels" {
    for_each = local.container_labels
    content {
      label = labels.key
      value = labels.value
    }
  }
}
