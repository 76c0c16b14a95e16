"""Erasure reaches the file sender's messages: exactly a person's, by the shape of each key."""

from __future__ import annotations

from pathlib import Path

from matcher.notify.senders import FileSender, Message, account_mail_key, approach_key, digest_key, erase_messages


def test_a_persons_digests_account_mails_and_approach_messages_go_and_nobody_elses(tmp_path: Path) -> None:
    sender = FileSender(tmp_path)
    theirs = [
        digest_key("acc_1", "2026-11-26"),
        digest_key("acc_1", "2026-W48"),
        account_mail_key("exists", "acc_1", 7),  # someone signed up again with their address
        account_mail_key("verify", "tok_a", 3),
        account_mail_key("reset", "tok_b", 12),
        approach_key("apr_1", "sent"),
        approach_key("apr_1", "answered"),
    ]
    others = [
        digest_key("acc_1-x", "2026-11-26"),  # another account whose id starts with theirs
        account_mail_key("exists", "acc_1-x", 8),
        account_mail_key("verify", "tok_ab", 4),
        approach_key("apr_10", "sent"),
        approach_key("apr_1-x", "sent"),
    ]
    for key in theirs + others:
        sender.send(Message(key=key, to="x@example.fr", subject="s", text="t"))
    (tmp_path / f"{approach_key('apr_1', 'expired')}.tmp").write_text("{}")  # a write cut short
    removed = erase_messages(tmp_path, account_ids=["acc_1"], link_ids=["tok_a", "tok_b"], approach_ids=["apr_1"])
    assert removed == len(theirs) + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{key}.json" for key in others)
    assert erase_messages(tmp_path) == 0 and erase_messages(tmp_path / "absent", account_ids=["acc_1"]) == 0
