#!/bin/sh
# The repository explains itself: every citation of docs/ leads to a file and a section that
# exist, and nothing cites a document that is not in the repository (scripts/check-cites.sh).
# Needs no root and no network; it sits with the integration tests because it reads the tree.
set -eu
cd "$(dirname "$0")/../.."
sh scripts/check-cites.sh
