"""Back-filled records (补录): a past meeting, notice, campaign, inspection, hazard, training or drill entered
with its real date. Like `handlers/todo`, it reads several subjects; no subject reads it."""
