#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Writes a copy of a supactl backup whose manifest claims DELTA more rows for TABLE than were
# backed up, every member kept as it is (so the archive still verifies). A restore drill of the
# copy must report the difference.
#   alter_manifest.py IN.tar.gz OUT.tar.gz public.todos 1
import io
import json
import sys
import tarfile


def main():
    src, dst, table, delta = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["row_counts"][table] += delta
                data = (json.dumps(manifest, indent=2) + "\n").encode()
                member.size = len(data)
            tout.addfile(member, io.BytesIO(data))


if __name__ == "__main__":
    main()
