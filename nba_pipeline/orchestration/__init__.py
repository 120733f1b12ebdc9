"""Coordination between runs and processes: the coordination store (completions, trigger claims,
circuit breakers, processed messages, wait timers) and the signal bus (phase topics), each with an
embedded SQLite implementation and a Google Cloud one (Firestore, Pub/Sub) behind one interface."""
