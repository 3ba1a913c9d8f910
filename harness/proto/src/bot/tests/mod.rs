//! Tests of the chatbot content codecs and validators.
