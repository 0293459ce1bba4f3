"""E-mail intake 邮件受理: a mailbox polled over IMAP turns messages into work orders.

The layers, top to bottom:

* `poll`: `mailbox_poll` / `mailboxes_poll` read a mailbox's new messages from the IMAP
  folder, hand each to the services and flag it on the server (\\Seen once taken in,
  \\Flagged when it failed).
* `services`: `mail_take_in` turns one message into a new order or a note on the order it
  answers, in one transaction; `mail_retry` reads failed messages again.
* `imap`: `ImapFolder`, imaplib with timeouts; messages are read with BODY.PEEK so that
  nothing is marked \\Seen before the database has the order. No database.
* `parse`: `parse_message`, raw bytes → `ParsedMail`, whatever the encoding. Pure.

`selectors.reply_thread` gives the thread an answer to a mailed-in order continues.
"""
