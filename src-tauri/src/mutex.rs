//! The one way the app takes a lock. A panic in one task must not take every
//! later call down with a poisoned lock: what these locks guard is changed in
//! single steps (an insert, an assignment), so it is whole whatever panicked.

use std::sync::{Mutex, MutexGuard, PoisonError};

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
