"""The dead-letter queue of the broker, for the operator's console: the kernel's kombu functions
(``hgrip_kernel.dead_letters``) turned into the answers of ``app.ports.DeadLetters``. Called from
identity's workers, which eventlet monkey-patched, so the broker's socket is green."""
from hgrip_kernel.dead_letters import DeadLetter, get_dead_letter, list_dead_letters, replay, service_of


def letter_view(letter: DeadLetter) -> dict:
    return {"message_id": letter.message_id, "service": service_of(letter.queue), "queue": letter.queue,
            "event_type": letter.event_type, "error": letter.error, "attempts": letter.attempts,
            "failed_at": letter.failed_at}


class KombuDeadLetters:
    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri

    def letters(self) -> list[dict]:
        return [letter_view(letter) for letter in list_dead_letters(self.amqp_uri)]

    def letter(self, message_id: str) -> dict | None:
        found = get_dead_letter(self.amqp_uri, message_id)
        if found is None:
            return None
        letter, message = found
        return {**letter_view(letter), "message": message}

    def replay(self, message_id: str | None) -> list[dict]:
        return [letter_view(letter) for letter in replay(self.amqp_uri, message_id)]
