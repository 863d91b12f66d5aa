// Package delivery gets accepted messages out and brings WhatsApp's traffic in. The worker side
// (Dispatcher: expiry, per-recipient order, the cluster-wide pace, the claim, the hand-over; Sweeper:
// promotion of scheduled messages, lost tasks, expiry) runs where the worker role runs; the holder
// side (Executor: the fenced send on a held session, retry receipts; Inbound: messages, receipts and
// updates stored before the ack, media fetched after it) runs beside the session host; Router carries
// requests between the two, in-process or over Redis.
//
// It builds on message (statuses, events, the Message type) and reads what this process holds from
// session's Registry; it must not import web, worker, fiber, asynq or whatsmeow.
package delivery
