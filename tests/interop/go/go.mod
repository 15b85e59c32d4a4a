module filelock.dev/interop

go 1.19

require filelock.dev/filelock v0.0.0

replace filelock.dev/filelock => ../../../bindings/go
