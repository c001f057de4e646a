package training

// Internals the external tests reach.
var (
	LockOwnerForTest = lockOwner
	LockHeldForTest  = lockHeld
)
