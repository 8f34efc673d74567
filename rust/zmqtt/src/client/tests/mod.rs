//! Client scenarios against a fake broker and a fake clock.
