//go:build !cgo

package native

// The SWIG layer is cgo over libfilelock. Building with CGO_ENABLED=0 stops here, at a
// name that says what is missing:
var _ = filelock_needs_cgo_and_libfilelock__build_with_CGO_ENABLED_1_and_libfilelock_dev_installed
