#!/usr/bin/env python3
"""Reads TensorBoard event files and prints their events as JSON lines.

An independent check of src/metrics/tb_writer: written from the format descriptions (TFRecord framing,
protobuf wire format, tensorflow Event/Summary/TensorProto field numbers), standard library only, with its
own CRC-32C and a generic protobuf wire decoder.

Per event, one JSON object on stdout:
  {"wall_time": w, "step": s, "file_version": "brain.Event:2"}
  {"wall_time": w, "step": s, "tag": t, "value": v}          simple_value scalars (float32, exact)
  {"wall_time": w, "step": s, "tag": t, "text": "..."}       text plugin (DT_STRING tensor)
  {"wall_time": w, "step": s, "tag": t, "other": [fields]}  any other summary value
  {"wall_time": w, "step": s, "session_log": "START"}       SessionLog (status name)
  {"wall_time": w, "step": s, "other_event": field}          any other event kind
Output is standard JSON: a NaN or infinite value is written as the string "nan", "inf" or "-inf".

Both CRCs of every record are verified. A CRC mismatch, a truncated record or a malformed protobuf prints
a message naming the file and byte offset on stderr and exits with status 1.

With --run DIR, reads every events.out.tfevents.* file of DIR in name order and prints the scalars that
TensorBoard shows (its purge_orphaned_data rule, on by default: a SessionLog START at step s drops every
event of the run read before it with step >= s), so a resumed run's view can be checked.

Usage: read_tfevents.py FILE...    |    read_tfevents.py --run DIR    |    read_tfevents.py --self-test
"""

import argparse
import json
import math
import struct
import sys


class FormatError(Exception):
    pass


# --- CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF ----------

_POLY = 0x82F63B78


def _crc_of_byte(value):
    for _ in range(8):
        value = (value >> 1) ^ _POLY if value & 1 else value >> 1
    return value


_TABLE = [_crc_of_byte(i) for i in range(256)]


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_bitwise(data):
    """The same CRC one bit at a time (slow; for the self-test)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_POLY if crc & 1 else 0)
    return ~crc & 0xFFFFFFFF


def masked_crc(data):
    """TFRecord's masked CRC: rotate right by 15 bits, add 0xa282ead8 (mod 2^32)."""
    crc = crc32c(data)
    rotated = ((crc >> 15) | (crc << 17)) & 0xFFFFFFFF
    return (rotated + 0xA282EAD8) & 0xFFFFFFFF


# --- Protobuf wire format ---------------------------------------------------------------------------------

VARINT, I64, LEN, I32 = 0, 1, 2, 5


def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise FormatError("varint runs past the end of the message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise FormatError("varint longer than 10 bytes")


def parse_fields(buf):
    """The fields of one message as a list of (field number, wire type, raw value)."""
    fields = []
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise FormatError("field number 0")
        if wire_type == VARINT:
            value, pos = read_varint(buf, pos)
        elif wire_type == I64:
            if pos + 8 > len(buf):
                raise FormatError("fixed64 field %d runs past the end" % number)
            value = bytes(buf[pos:pos + 8])
            pos += 8
        elif wire_type == I32:
            if pos + 4 > len(buf):
                raise FormatError("fixed32 field %d runs past the end" % number)
            value = bytes(buf[pos:pos + 4])
            pos += 4
        elif wire_type == LEN:
            size, pos = read_varint(buf, pos)
            if pos + size > len(buf):
                raise FormatError("length-delimited field %d (%d bytes) runs past the end" % (number, size))
            value = bytes(buf[pos:pos + size])
            pos += size
        else:
            raise FormatError("unsupported wire type %d (field %d)" % (wire_type, number))
        fields.append((number, wire_type, value))
    return fields


def expect(wire_type, want, what):
    if wire_type != want:
        raise FormatError("%s has wire type %d, expected %d" % (what, wire_type, want))


def as_int64(u):
    """A varint read as int64 (two's complement over 64 bits)."""
    u &= (1 << 64) - 1
    return u - (1 << 64) if u >= 1 << 63 else u


# --- tensorflow messages ----------------------------------------------------------------------------------
# Event: 1 wall_time double, 2 step int64, 3 file_version string, 5 summary Summary.
# Summary: 1 value (repeated Summary.Value).
# Summary.Value: 1 tag, 2 simple_value float, 8 tensor TensorProto, 9 metadata SummaryMetadata.
# SummaryMetadata: 1 plugin_data PluginData{1 plugin_name string, 2 content bytes}.
# TensorProto: 1 dtype enum (DT_STRING = 7), 2 tensor_shape TensorShapeProto{2 dim}, 8 string_val bytes.

DT_STRING = 7


def decode_tensor(buf):
    dtype, has_shape, strings = 0, False, []
    for number, wire_type, value in parse_fields(buf):
        if number == 1:
            expect(wire_type, VARINT, "TensorProto.dtype")
            dtype = value
        elif number == 2:
            expect(wire_type, LEN, "TensorProto.tensor_shape")
            has_shape = True
            parse_fields(value)  # must be well-formed
        elif number == 8:
            expect(wire_type, LEN, "TensorProto.string_val")
            strings.append(value)
    return dtype, has_shape, strings


def decode_plugin_name(buf):
    name = ""
    for number, wire_type, value in parse_fields(buf):
        if number == 1:
            expect(wire_type, LEN, "SummaryMetadata.plugin_data")
            for n2, w2, v2 in parse_fields(value):
                if n2 == 1:
                    expect(w2, LEN, "PluginData.plugin_name")
                    name = v2.decode("utf-8")
    return name


def decode_value(buf):
    tag, simple, tensor, plugin, others = None, None, None, "", []
    for number, wire_type, value in parse_fields(buf):
        if number == 1:
            expect(wire_type, LEN, "Summary.Value.tag")
            tag = value.decode("utf-8")
        elif number == 2:
            expect(wire_type, I32, "Summary.Value.simple_value")
            (simple,) = struct.unpack("<f", value)
        elif number == 8:
            expect(wire_type, LEN, "Summary.Value.tensor")
            tensor = decode_tensor(value)
        elif number == 9:
            expect(wire_type, LEN, "Summary.Value.metadata")
            plugin = decode_plugin_name(value)
        else:
            others.append(number)
    out = {"tag": tag}
    if simple is not None:
        out["value"] = simple
    elif tensor is not None and (plugin == "text" or tensor[0] == DT_STRING):
        dtype, _, strings = tensor
        if dtype != DT_STRING:
            raise FormatError("text summary '%s' has dtype %d, expected DT_STRING (7)" % (tag, dtype))
        texts = [s.decode("utf-8") for s in strings]
        out["text"] = texts[0] if len(texts) == 1 else texts
    else:
        out["other"] = sorted(set(others + ([8] if tensor is not None else [])))
    return out


def decode_event(buf):
    """The JSON objects of one Event (one per summary value)."""
    wall_time, step, kind = 0.0, 0, None
    for number, wire_type, value in parse_fields(buf):
        if number == 1:
            expect(wire_type, I64, "Event.wall_time")
            (wall_time,) = struct.unpack("<d", value)
        elif number == 2:
            expect(wire_type, VARINT, "Event.step")
            step = as_int64(value)
        elif number == 3:
            expect(wire_type, LEN, "Event.file_version")
            kind = ("file_version", value.decode("utf-8"))
        elif number == 7:
            expect(wire_type, LEN, "Event.session_log")
            status = 0
            for n2, w2, v2 in parse_fields(value):
                if n2 == 1:
                    expect(w2, VARINT, "SessionLog.status")
                    status = v2
            kind = ("session_log", {0: "STATUS_UNSPECIFIED", 1: "START", 2: "STOP", 3: "CHECKPOINT"}.get(status, status))
        elif number == 5:
            expect(wire_type, LEN, "Event.summary")
            values = []
            for n2, w2, v2 in parse_fields(value):
                if n2 == 1:
                    expect(w2, LEN, "Summary.value")
                    values.append(decode_value(v2))
            kind = ("summary", values)
        else:
            kind = ("other", number)
    head = {"wall_time": wall_time, "step": step}
    if kind is None:
        return [head]
    if kind[0] == "file_version":
        return [dict(head, file_version=kind[1])]
    if kind[0] == "summary":
        return [dict(head, **v) for v in kind[1]]
    if kind[0] == "session_log":
        return [dict(head, session_log=kind[1])]
    return [dict(head, other_event=kind[1])]


# --- TFRecord framing -------------------------------------------------------------------------------------


def read_records(data):
    """Yields (offset, payload) per record: u64 length LE, u32 masked crc(length), payload, u32 masked crc."""
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise FormatError("truncated record header at offset %d" % pos)
        length_bytes = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked_crc(length_bytes) != length_crc:
            raise FormatError("length CRC mismatch in the record at offset %d" % pos)
        start = pos + 12
        if start + length + 4 > len(data):
            raise FormatError("truncated record at offset %d (%d payload bytes announced)" % (pos, length))
        payload = data[start:start + length]
        (payload_crc,) = struct.unpack("<I", data[start + length:start + length + 4])
        if masked_crc(payload) != payload_crc:
            raise FormatError("data CRC mismatch in the record at offset %d" % pos)
        yield pos, payload
        pos = start + length + 4


def finite_or_text(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def self_test():
    # The CRC-32C check value of "123456789" (CRC catalogue, CRC-32/ISCSI) and RFC 3720's 32 zero bytes.
    checks = [(b"123456789", 0xE3069283), (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),
              (bytes(range(32)), 0x46DD794E)]
    for data, want in checks:
        for fn in (crc32c, crc32c_bitwise):
            if fn(data) != want:
                print("self-test: %s(%r) = %08x, expected %08x" % (fn.__name__, data[:12], fn(data), want),
                      file=sys.stderr)
                return 1
    # Varints: 300 -> ac 02; -1 as int64 -> ten bytes.
    if read_varint(b"\xac\x02", 0) != (300, 2) or as_int64(read_varint(b"\xff" * 9 + b"\x01", 0)[0]) != -1:
        print("self-test: varint decoding is wrong", file=sys.stderr)
        return 1
    print("self-test passed")
    return 0


def show_run(folder):
    import os
    names = sorted(n for n in os.listdir(folder) if n.startswith("events.out.tfevents."))
    kept = []
    for name in names:
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            data = f.read()
        try:
            for offset, payload in read_records(data):
                for obj in decode_event(payload):
                    if obj.get("session_log") == "START":
                        kept = [e for e in kept if e["step"] < obj["step"]]
                    elif "value" in obj:
                        kept.append(obj)
        except FormatError as e:
            print("read_tfevents: %s: %s" % (path, e), file=sys.stderr)
            return 1
    for obj in kept:
        print(json.dumps({k: finite_or_text(v) for k, v in obj.items()}, allow_nan=False))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="TensorBoard event files")
    parser.add_argument("--self-test", action="store_true", help="check the CRC and varint code and exit")
    parser.add_argument("--run", help="a run folder: the scalars TensorBoard shows, after its purge rule")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if args.run:
        return show_run(args.run)
    if not args.files:
        parser.error("no event file given")
    for path in args.files:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            print("read_tfevents: cannot read '%s': %s" % (path, e.strerror), file=sys.stderr)
            return 1
        try:
            for offset, payload in read_records(data):
                try:
                    events = decode_event(payload)
                except (FormatError, UnicodeDecodeError) as e:
                    raise FormatError("malformed Event in the record at offset %d: %s" % (offset, e))
                for obj in events:
                    print(json.dumps({k: finite_or_text(v) for k, v in obj.items()}, allow_nan=False))
        except FormatError as e:
            sys.stdout.flush()
            print("read_tfevents: %s: %s" % (path, e), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
