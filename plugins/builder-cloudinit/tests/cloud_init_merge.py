"""Reads a user-data file the way cloud-init does and prints, as JSON, its decoded
cloud-config parts and the cloud-config cloud-init merges them into.

Uses cloud-init's own UserDataProcessor and CloudConfigPartHandler, so the merge is the
one the guest will run (merge_how included). Run with the Python cloud-init lives in.
"""
import json
import sys
import tempfile

from cloudinit import handlers, helpers, user_data
from cloudinit.handlers import cloud_config

scratch = tempfile.mkdtemp()
paths = helpers.Paths({"cloud_dir": scratch, "run_dir": scratch})
with open(sys.argv[1], "rb") as f:
    message = user_data.UserDataProcessor(paths).process(f.read())
handler = cloud_config.CloudConfigPartHandler(paths)
handler.handle_part(None, handlers.CONTENT_START, None, None, None, None)
parts = []
for part in message.walk():
    if part.get_content_maintype() == "multipart":
        continue
    payload = part.get_payload(decode=True).decode("utf-8")
    parts.append({"type": part.get_content_type(), "payload": payload})
    handler.handle_part(
        None, part.get_content_type(), part.get_filename(), payload, None, part
    )
json.dump({"parts": parts, "merged": handler.cloud_buf}, sys.stdout)
