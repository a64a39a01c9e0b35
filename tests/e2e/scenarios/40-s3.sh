# shellcheck shell=bash
# Scenario 5: S3 mode with the images present and no registry. It starts
# without pulling (defect 2: the old script always pulled, and fails here);
# an endpoint host containers cannot resolve is stopped by the DNS check with
# its fix; a resolvable one (an S3 stand-in on the project's compose network)
# passes and receives the backend's objects.

S3_IMAGE="convex-scaffold-e2e/s3:standin"

# s3_project NAME ENDPOINT: an s3 project with its keys filled in.
s3_project() {
  new_project "$1" --set storage=s3 --set "s3_endpoint_url=$2" --set s3_force_path_style=true
  sed -i 's/^AWS_ACCESS_KEY_ID=.*/AWS_ACCESS_KEY_ID=e2e-access/; s/^AWS_SECRET_ACCESS_KEY=.*/AWS_SECRET_ACCESS_KEY=e2e-secret/' \
    "$PROJECTS/$1/.env.docker"
}

scenario_40_s3_unresolvable_endpoint() {
  s3_project s3bad http://s3.unresolvable.invalid:9000
  local dir="$PROJECTS/s3bad" out
  sed -i 's/^PORT=.*/PORT=3410/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3411/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=6991/' "$dir/.env.docker"
  out="$(cd "$dir" && expect_failure bash scripts/convex-up.sh)"
  assert_not_contains "$out" "pulling" "convex-up.sh must not pull images that are present"
  assert_contains "$out" "does not resolve inside Docker containers" "DNS check message"
  assert_contains "$out" "daemon.json" "DNS check names the fix"
  [ -z "$(cd "$dir" && docker compose --env-file .env.docker ps -q backend)" ] ||
    fail "the backend was started although its S3 endpoint does not resolve"
}

scenario_41_s3_resolvable_endpoint() {
  build_if_changed "$S3_IMAGE" "$E2E_DIR/standins/s3"
  s3_project s3ok http://minio:9000
  local dir="$PROJECTS/s3ok" name out net
  name="s3ok-$E2E_SUFFIX"
  sed -i 's/^PORT=.*/PORT=3510/; s/^SITE_PROXY_PORT=.*/SITE_PROXY_PORT=3511/; s/^DASHBOARD_PORT=.*/DASHBOARD_PORT=7091/' "$dir/.env.docker"
  # The project's compose network, made ahead with compose's labels so that
  # compose adopts it, holding the S3 stand-in under the name "minio".
  net="${name}_default"
  docker network create --label "com.docker.compose.project=$name" --label com.docker.compose.network=default \
    --label "convex-scaffold-e2e=$E2E_RUN_ID" "$net" >/dev/null
  # MinIO without a KMS: it refuses the backend's default SSE header on
  # CreateMultipartUpload, as the real one does (the render turns SSE off).
  docker run -d --name "minio-$name" --network "$net" --network-alias minio \
    -e S3_STANDIN_MODE=minio-no-kms --label "convex-scaffold-e2e=$E2E_RUN_ID" "$S3_IMAGE" >/dev/null
  ensure_node_for "$dir"
  ensure_package_manager_for "$dir"
  out="$(cd "$dir" && bash scripts/convex-up.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_not_contains "$out" "pulling" "convex-up.sh must not pull images that are present"
  out="$(cd "$dir" && bash scripts/convex-deploy.sh 2>&1)" || { printf '%s\n' "$out" >&2; return 1; }
  assert_eq "$(query_status "$dir" health:ping)" success "health:ping in S3 mode"
  out="$(docker logs "minio-$name" 2>&1)"
  assert_contains "$out" "PUT s3ok-$E2E_SUFFIX-modules/" "the backend stored its modules in the S3 stand-in"
  assert_contains "$out" "CreateMultipartUpload" "the backend uploads with multipart uploads"
  assert_not_contains "$out" "NotImplemented" "no upload was refused for SSE"
}
