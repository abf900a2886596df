"""Resumable, verified S3 multipart uploads (Qt-free).

* ``profiles``: S3 destinations; secret keys in the OS keychain; boto3 clients.
* ``planner``: part sizes within S3's limits, object keys.
* ``engine``: create and run (or resume) an upload; ``control``: pause, abort, one run at a time.
* ``reader``: the single read of the file (parts, part checksums, whole-file MD5 + SHA-256).
* ``journal``: every acknowledged part committed to the local store.
* ``remote``/``retry``: the S3 calls, transient-vs-permanent faults, backoff with jitter.
* ``finish``: completion and the proof that the object is the file.
* ``throttle``: bandwidth limit; ``progress``: speed and ETA; ``cleanup``: cancel and stale uploads.
"""
