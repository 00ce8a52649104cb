#!/usr/bin/env python3
"""Independent implementation of the MessagingE2EE v1 formats on PyNaCl.

Written from Documentation/E2EE.md, not from the Swift code, to check interoperability
with a second libsodium binding in both directions:

  interop.py verify VECTORS.json          parse, verify and open every Swift-made vector
  interop.py create VECTORS.json OUT.json make a bundle, envelope, messages, media and a
                                          password export with PyNaCl for the Swift test

Exit status 0 and a final "ok" line on success; any mismatch raises.
"""
import hashlib
import json
import os
import struct
import sys
import uuid

import nacl.bindings as b
from nacl.signing import SigningKey, VerifyKey

VERSION = 0x01
KIND_BUNDLE, KIND_SECRET_EXPORT, KIND_PASSWORD_EXPORT = 0x01, 0x02, 0x03
KIND_ENVELOPE, KIND_MESSAGE, KIND_MEDIA_REFERENCE, KIND_MEDIA_STREAM = 0x04, 0x05, 0x06, 0x07

LABEL_BUNDLE = b"messaging-e2ee/v1/device-bundle"
LABEL_ENVELOPE = b"messaging-e2ee/v1/key-envelope"
LABEL_BINDING = b"messaging-e2ee/v1/key-envelope-binding"
LABEL_MESSAGE = b"messaging-e2ee/v1/message"
LABEL_MEDIA = b"messaging-e2ee/v1/media"
LABEL_MEDIA_REFERENCE = b"messaging-e2ee/v1/media-reference"
LABEL_KEY_EXPORT = b"messaging-e2ee/v1/key-export"
LABEL_PASSWORD_EXPORT = b"messaging-e2ee/v1/password-export"

SEALBYTES = 48  # crypto_box_SEALBYTES
STREAM_ABYTES = b.crypto_secretstream_xchacha20poly1305_ABYTES
TAG_MESSAGE = b.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = b.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def labelled(label, body):
    return label + b"\x00" + body


def checksum(label, body):
    return hashlib.blake2b(labelled(label, body), digest_size=16).digest()


def b64url(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Reader:
    def __init__(self, data, kind):
        self.data, self.pos = data, 0
        if self.take(1)[0] != VERSION:
            raise ValueError("unsupported version")
        if self.take(1)[0] != kind:
            raise ValueError("wrong kind")

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def end(self):
        if self.pos != len(self.data):
            raise ValueError("trailing bytes")


# --- device bundles and exports -------------------------------------------------

def parse_bundle(data):
    r = Reader(data, KIND_BUNDLE)
    bundle = dict(device=uuid.UUID(bytes=r.take(16)), user=uuid.UUID(bytes=r.take(16)),
                  created=struct.unpack(">q", r.take(8))[0], signing=r.take(32), agreement=r.take(32))
    signature = r.take(64)
    r.end()
    VerifyKey(bundle["signing"]).verify(labelled(LABEL_BUNDLE, data[:106]), signature)
    return bundle


def make_bundle(device, user, created, signing_key, agreement_pk):
    body = bytes([VERSION, KIND_BUNDLE]) + device.bytes + user.bytes + struct.pack(">q", created)
    body += bytes(signing_key.verify_key) + agreement_pk
    return body + signing_key.sign(labelled(LABEL_BUNDLE, body)).signature


def parse_secret_export(data):
    r = Reader(data, KIND_SECRET_EXPORT)
    device, user = uuid.UUID(bytes=r.take(16)), uuid.UUID(bytes=r.take(16))
    created = struct.unpack(">q", r.take(8))[0]
    seed, agreement_sk = r.take(32), r.take(32)
    check = r.take(16)
    r.end()
    assert check == checksum(LABEL_KEY_EXPORT, data[:106]), "secret export checksum"
    signing_pk, _ = b.crypto_sign_seed_keypair(seed)
    return dict(device=device, user=user, created=created, seed=seed, agreement_sk=agreement_sk,
                signing_pk=signing_pk, agreement_pk=b.crypto_scalarmult_base(agreement_sk))


def make_secret_export(device, user, created, seed, agreement_sk):
    body = bytes([VERSION, KIND_SECRET_EXPORT]) + device.bytes + user.bytes + struct.pack(">q", created)
    body += seed + agreement_sk
    return body + checksum(LABEL_KEY_EXPORT, body)


def open_password_export(data, password):
    r = Reader(data, KIND_PASSWORD_EXPORT)
    assert r.u8() == 0x02, "argon2id"
    ops, mem = r.u32(), r.u64()
    salt, nonce = r.take(16), r.take(24)
    length = r.u16()
    assert length == 138
    ciphertext = r.take(length)
    r.end()
    key = b.crypto_pwhash_alg(32, password.encode(), salt, ops, mem, b.crypto_pwhash_ALG_ARGON2ID13)
    return b.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, labelled(LABEL_PASSWORD_EXPORT, data[:55]), nonce, key)


def make_password_export(plaintext, password, ops, mem):
    salt, nonce = os.urandom(16), os.urandom(24)
    header = bytes([VERSION, KIND_PASSWORD_EXPORT, 0x02]) + struct.pack(">IQ", ops, mem) + salt + nonce
    key = b.crypto_pwhash_alg(32, password.encode(), salt, ops, mem, b.crypto_pwhash_ALG_ARGON2ID13)
    ciphertext = b.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, labelled(LABEL_PASSWORD_EXPORT, header), nonce, key)
    return header + struct.pack(">H", len(ciphertext)) + ciphertext


# --- key envelopes -------------------------------------------------------------

def open_envelope(data, recipient, sender_bundle, conversation, epoch):
    r = Reader(data, KIND_ENVELOPE)
    conv, env_epoch = uuid.UUID(bytes=r.take(16)), r.u64()
    sender_device, sender_signing = uuid.UUID(bytes=r.take(16)), r.take(32)
    recipient_device, recipient_agreement = uuid.UUID(bytes=r.take(16)), r.take(32)
    sealed_length = r.u16()
    assert sealed_length == 32 + 32 + SEALBYTES
    sealed = r.take(sealed_length)
    signature = r.take(64)
    r.end()
    assert recipient_device == recipient["device"] and recipient_agreement == recipient["agreement_pk"], "wrong recipient"
    assert sender_device == sender_bundle["device"] and sender_signing == sender_bundle["signing"], "wrong sender"
    assert conv == conversation and env_epoch == epoch, "wrong conversation or epoch"
    VerifyKey(sender_signing).verify(labelled(LABEL_ENVELOPE, data[:236]), signature)
    inner = b.crypto_box_seal_open(sealed, recipient["agreement_pk"], recipient["agreement_sk"])
    digest = hashlib.blake2b(labelled(LABEL_BINDING, data[:122]), digest_size=32).digest()
    assert inner[32:] == digest, "binding digest"
    return inner[:32]


def make_envelope(key, conversation, epoch, sender_device, signing_key, recipient_bundle):
    header = bytes([VERSION, KIND_ENVELOPE]) + conversation.bytes + struct.pack(">Q", epoch)
    header += sender_device.bytes + bytes(signing_key.verify_key)
    header += recipient_bundle["device"].bytes + recipient_bundle["agreement"]
    inner = key + hashlib.blake2b(labelled(LABEL_BINDING, header), digest_size=32).digest()
    sealed = b.crypto_box_seal(inner, recipient_bundle["agreement"])
    body = header + struct.pack(">H", len(sealed)) + sealed
    return body + signing_key.sign(labelled(LABEL_ENVELOPE, body)).signature


# --- messages -------------------------------------------------------------------

def open_message(data, key, conversation, epoch, sender_bundle):
    r = Reader(data, KIND_MESSAGE)
    conv, msg_epoch, sender = uuid.UUID(bytes=r.take(16)), r.u64(), uuid.UUID(bytes=r.take(16))
    n = r.u8()
    assert 1 <= n <= 64
    client_id = r.take(n).decode("utf-8")
    header_end = r.pos
    nonce = r.take(24)
    ciphertext = r.take(r.u32())
    signed_end = r.pos
    signature = r.take(64)
    r.end()
    assert conv == conversation and msg_epoch == epoch and sender == sender_bundle["device"]
    VerifyKey(sender_bundle["signing"]).verify(labelled(LABEL_MESSAGE, data[:signed_end]), signature)
    plaintext = b.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, labelled(LABEL_MESSAGE, data[:header_end]), nonce, key)
    return client_id, plaintext


def make_message(plaintext, client_id, key, conversation, epoch, sender_device, signing_key):
    cid = client_id.encode("utf-8")
    header = bytes([VERSION, KIND_MESSAGE]) + conversation.bytes + struct.pack(">Q", epoch) + sender_device.bytes
    header += bytes([len(cid)]) + cid
    nonce = os.urandom(24)
    ciphertext = b.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, labelled(LABEL_MESSAGE, header), nonce, key)
    body = header + nonce + struct.pack(">I", len(ciphertext)) + ciphertext
    return body + signing_key.sign(labelled(LABEL_MESSAGE, body)).signature


# --- media ----------------------------------------------------------------------

def parse_media_reference(data):
    r = Reader(data, KIND_MEDIA_REFERENCE)
    ref = dict(key=r.take(32), header=r.take(24), chunk_size=r.u32(), length=r.u64())
    ref["content_type"] = r.take(r.u8()).decode("utf-8")
    ref["locator"] = r.take(r.u16()).decode("utf-8")
    body_end = r.pos
    check = r.take(16)
    r.end()
    assert check == checksum(LABEL_MEDIA_REFERENCE, data[:body_end]), "media reference checksum"
    return ref


def decrypt_media(stream, ref):
    prefix = stream[:6]
    assert prefix[:2] == bytes([VERSION, KIND_MEDIA_STREAM])
    assert struct.unpack(">I", prefix[2:6])[0] == ref["chunk_size"]
    ad = labelled(LABEL_MEDIA, prefix)
    state = b.crypto_secretstream_xchacha20poly1305_state()
    b.crypto_secretstream_xchacha20poly1305_init_pull(state, ref["header"], ref["key"])
    size, length = ref["chunk_size"], ref["length"]
    chunks = max(1, -(-length // size))
    out, pos = b"", 6
    for index in range(chunks):
        plain_len = size if index + 1 < chunks else length - (chunks - 1) * size
        chunk = stream[pos:pos + plain_len + STREAM_ABYTES]
        assert len(chunk) == plain_len + STREAM_ABYTES, "truncated"
        pos += len(chunk)
        message, tag = b.crypto_secretstream_xchacha20poly1305_pull(state, chunk, ad)
        assert tag == (TAG_FINAL if index + 1 == chunks else TAG_MESSAGE), "tag"
        out += message
    assert pos == len(stream), "extended"
    return out


def encrypt_media(plaintext, chunk_size, content_type, locator):
    key = b.crypto_secretstream_xchacha20poly1305_keygen()
    state = b.crypto_secretstream_xchacha20poly1305_state()
    header = b.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    prefix = bytes([VERSION, KIND_MEDIA_STREAM]) + struct.pack(">I", chunk_size)
    ad = labelled(LABEL_MEDIA, prefix)
    pieces = [plaintext[i:i + chunk_size] for i in range(0, len(plaintext), chunk_size)] or [b""]
    stream = prefix
    for index, piece in enumerate(pieces):
        tag = TAG_FINAL if index + 1 == len(pieces) else TAG_MESSAGE
        stream += b.crypto_secretstream_xchacha20poly1305_push(state, piece, ad, tag)
    ct, loc = content_type.encode(), locator.encode()
    body = bytes([VERSION, KIND_MEDIA_REFERENCE]) + key + header + struct.pack(">IQ", chunk_size, len(plaintext))
    body += bytes([len(ct)]) + ct + struct.pack(">H", len(loc)) + loc
    return stream, body + checksum(LABEL_MEDIA_REFERENCE, body)


# --- commands -------------------------------------------------------------------

def load(path):
    with open(path) as handle:
        vectors = json.load(handle)
    identities = {}
    for ident in vectors["identities"]:
        bundle = parse_bundle(bytes.fromhex(ident["bundle"]))
        assert unb64url(ident["bundleText"]) == bytes.fromhex(ident["bundle"])
        secret = parse_secret_export(bytes.fromhex(ident["secretKeyExport"]))
        assert secret["signing_pk"] == bundle["signing"] and secret["agreement_pk"] == bundle["agreement"]
        assert secret["seed"].hex() == ident["signingSeed"]
        assert b.crypto_sign_seed_keypair(bytes.fromhex(ident["signingSeed"]))[0].hex() == ident["signingPublicKey"]
        identities[ident["name"]] = dict(bundle=bundle, secret=secret, device=bundle["device"],
                                         agreement_pk=bundle["agreement"], agreement_sk=secret["agreement_sk"])
    return vectors, identities


def verify(path):
    vectors, identities = load(path)
    conversation = uuid.UUID(vectors["conversation"]["conversationID"])
    epoch = vectors["conversation"]["epoch"]
    alice = identities["alice"]["bundle"]
    checked = 0
    for env in vectors["envelopes"]:
        data = bytes.fromhex(env["serialized"])
        assert unb64url(env["text"]) == data
        key = open_envelope(data, identities[env["recipient"]], identities[env["sender"]]["bundle"], conversation, epoch)
        assert key.hex() == vectors["conversation"]["key"]
        checked += 1
    key = bytes.fromhex(vectors["conversation"]["key"])
    for msg in vectors["messages"]:
        data = bytes.fromhex(msg["serialized"])
        assert unb64url(msg["text"]) == data
        client_id, plaintext = open_message(data, key, conversation, epoch, alice)
        assert client_id == msg["clientMessageID"] and plaintext.hex() == msg["plaintext"]
        checked += 1
    pw = vectors["passwordExport"]
    inner = open_password_export(bytes.fromhex(pw["serialized"]), pw["password"])
    assert inner.hex() == [i for i in vectors["identities"] if i["name"] == pw["identity"]][0]["secretKeyExport"]
    checked += 1
    media = vectors["media"]
    _, carried = open_message(bytes.fromhex(media["carriedInMessage"]), key, conversation, epoch, alice)
    assert carried.hex() == media["reference"]
    ref = parse_media_reference(carried)
    assert ref["locator"] == media["locator"] and ref["content_type"] == media["contentType"]
    assert decrypt_media(bytes.fromhex(media["stream"]), ref).hex() == media["plaintext"]
    checked += 1
    print(f"verified {checked} Swift-made objects plus {len(identities)} bundles and secret exports")
    print("ok")


def create(path, out_path):
    vectors, identities = load(path)
    conversation = uuid.UUID(vectors["conversation"]["conversationID"])
    epoch = vectors["conversation"]["epoch"] + 1
    bob = identities["bob"]["bundle"]
    seed = os.urandom(32)
    signing_key = SigningKey(seed)
    agreement_pk, agreement_sk = b.crypto_box_seed_keypair(os.urandom(32))
    device, user, created = uuid.uuid4(), uuid.uuid4(), 1767225600123
    bundle = make_bundle(device, user, created, signing_key, agreement_pk)
    parse_bundle(bundle)
    key = os.urandom(32)
    envelope = make_envelope(key, conversation, epoch, device, signing_key, bob)
    messages = []
    for client_id, plaintext in [("py-0001", "Hello from PyNaCl ✓".encode()), ("py-0002-empty", b""), ("py-ü", bytes(range(256)) * 3)]:
        data = make_message(plaintext, client_id, key, conversation, epoch, device, signing_key)
        assert open_message(data, key, conversation, epoch, parse_bundle(bundle)) == (client_id, plaintext)
        messages.append(dict(clientMessageID=client_id, plaintext=plaintext.hex(), serialized=data.hex(), text=b64url(data)))
    media_plain = os.urandom(1000)
    stream, reference = encrypt_media(media_plain, 256, "application/x-python", "py:blob/1")
    assert decrypt_media(stream, parse_media_reference(reference)) == media_plain
    carrier = make_message(reference, "py-media", key, conversation, epoch, device, signing_key)
    secret_export = make_secret_export(device, user, created, seed, agreement_sk)
    password = "python interop password"
    password_export = make_password_export(secret_export, password, 1, 8192)
    result = dict(
        conversationID=str(conversation), epoch=epoch, bundle=bundle.hex(), bundleText=b64url(bundle),
        envelope=envelope.hex(), envelopeText=b64url(envelope), messages=messages,
        media=dict(plaintext=media_plain.hex(), stream=stream.hex(), carriedInMessage=carrier.hex()),
        secretKeyExport=secret_export.hex(), passwordExport=dict(password=password, serialized=password_export.hex()))
    with open(out_path, "w") as handle:
        json.dump(result, handle, indent=2)
    print(f"created PyNaCl objects in {out_path}")
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        verify(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "create":
        create(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
