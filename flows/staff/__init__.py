"""The staff side of the chat: who is staff, enrolment, administration, queues, reassignment."""
