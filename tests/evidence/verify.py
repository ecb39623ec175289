#!/usr/bin/env python3
"""Checks that a document file is the one akte stored, unchanged.

    python3 verify.py EVIDENCE.json DOCUMENT [--public-key HEX] [--openssl]

EVIDENCE.json is the output of `akte evidence DOCUMENT_ID --json`. The
script needs nothing of akte: it recomputes the SHA-256 of DOCUMENT, the
leaf of the evidence log that commits to it, the root from the leaf and the
audit path (RFC 6962 / RFC 9162), and checks the Ed25519 signature of that
root (README, "Proving a document unchanged"). It exits with 0 when all of
it holds and with 1, naming the first thing that does not, otherwise.

The signature is checked with the key given by --public-key (hex, as kept
apart from the server, e.g. from evidence/<catalog id>/checkpoint-key.pub in
the object store); without it, with the key in the JSON, which proves only
that the server's key signed the root. Ed25519 is verified with the Python
package `cryptography` if it is installed, else (or with --openssl) with
`openssl pkeyutl` (OpenSSL 3).
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

LEAF_TITLE = "akte document evidence v1"
ROOT_TITLE = "akte document evidence root v1"
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32
# bytes of the key.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


class Broken(Exception):
    pass


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_data(document_id, sha256, size, created_at):
    return (
        f"{LEAF_TITLE}\nid {document_id}\nsha256 {sha256}\n"
        f"size {size}\ncreated_at {created_at}\n"
    ).encode("ascii")


def root_from_path(index, size, leaf, path):
    """The root that `path` leads to from leaf `index` of `size` leaves
    (RFC 9162, section 2.1.3.2), or None if the path does not fit."""
    if index >= size:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_with_cryptography(public_key, signature, message):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


def verify_with_openssl(public_key, signature, message):
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, data in [
            ("key.der", ED25519_SPKI_PREFIX + public_key),
            ("sig", signature),
            ("msg", message),
        ]:
            paths[name] = os.path.join(tmp, name)
            with open(paths[name], "wb") as f:
                f.write(data)
        done = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["key.der"],
             "-keyform", "DER", "-rawin", "-in", paths["msg"], "-sigfile", paths["sig"]],
            capture_output=True,
        )
        return done.returncode == 0


def signature_verifies(public_key, signature, message, use_openssl):
    if not use_openssl:
        try:
            return verify_with_cryptography(public_key, signature, message)
        except ImportError:
            pass
    return verify_with_openssl(public_key, signature, message)


def hexbytes(value, length, what):
    try:
        b = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise Broken(f"{what} is not hex")
    if len(b) != length:
        raise Broken(f"{what} is not {length} bytes")
    return b


def check(evidence, document, public_key_hex=None, use_openssl=False):
    """Raises Broken naming what does not hold; returns a summary."""
    try:
        document_id = str(evidence["document_id"])
        sha256 = str(evidence["sha256"])
        size = int(evidence["size"])
        created_at = int(evidence["created_at"])
        index = int(evidence["leaf_index"])
        root = evidence["root"]
        catalog_id = str(root["catalog_id"])
        tree_size = int(root["size"])
        at = int(root["at"])
        path = [hexbytes(h, 32, "a path hash") for h in evidence["path"]]
        signed_root = hexbytes(root["root"], 32, "the root")
        signature = hexbytes(root["signature"], 64, "the signature")
    except (KeyError, TypeError, ValueError) as e:
        raise Broken(f"the evidence is malformed: {e!r}")
    key_hex = public_key_hex if public_key_hex is not None else root.get("public_key")
    public_key = hexbytes(key_hex, 32, "the public key")

    # 1. The document's content.
    if len(document) != size:
        raise Broken(f"the document has {len(document)} bytes, the evidence says {size}")
    if hashlib.sha256(document).hexdigest() != sha256:
        raise Broken("the document's SHA-256 is not the one in the evidence: it was changed")
    # 2. Its leaf.
    leaf = leaf_hash(leaf_data(document_id, sha256, size, created_at))
    # 3. The root the audit path leads to.
    computed = root_from_path(index, tree_size, leaf, path)
    if computed is None:
        raise Broken(f"the path does not fit leaf {index} of a tree of {tree_size}")
    if computed != signed_root:
        raise Broken("the path does not lead from the document's leaf to the signed root")
    # 4. The signature of the root.
    signed_text = (
        f"{ROOT_TITLE}\ncatalog {catalog_id}\nsize {tree_size}\n"
        f"root {signed_root.hex()}\nat {at}\n"
    ).encode("utf-8")
    if not signature_verifies(public_key, signature, signed_text, use_openssl):
        raise Broken("the root's signature does not verify with the public key")
    return (
        f"verified: document {document_id} ({size} bytes, sha256 {sha256}) is leaf "
        f"{index} of the evidence log of catalog {catalog_id}, whose root of {tree_size} "
        f"leaves is signed by {public_key.hex()}"
    )


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    use_openssl = "--openssl" in argv
    public_key = None
    if "--public-key" in argv:
        i = argv.index("--public-key")
        if i + 1 >= len(argv):
            print("--public-key needs a value", file=sys.stderr)
            return 2
        public_key = argv[i + 1]
        args.remove(public_key)
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as f:
            evidence = json.load(f)
        with open(args[1], "rb") as f:
            document = f.read()
        print(check(evidence, document, public_key, use_openssl))
        return 0
    except (OSError, ValueError) as e:
        print(f"NOT VERIFIED: {e}", file=sys.stderr)
        return 1
    except Broken as e:
        print(f"NOT VERIFIED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
