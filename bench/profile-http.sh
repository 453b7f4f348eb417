#!/usr/bin/env bash
# Profiles Samples/http under load (docs/PROFILING.md) for longer than the interop check does: Tests/Interop/profile.sh
# (`swiftlet profile http` in a network namespace it creates and deletes, wrk keep-alive with 10 connections against the
# index page for SECONDS - 6 s, the summary of the hottest functions, and its checks), with a default of 20 s. The folded
# stacks land in .build-swiftlet/profiles/http-TARGET.folded. Needs root.
#
# usage: bench/profile-http.sh posix|virtio [SECONDS]   (default 20); PROFILE_CLOSE=1 profiles `Connection: close`
exec bash "$(dirname "$0")/../Tests/Interop/profile.sh" "${1:-}" "${2:-20}"
