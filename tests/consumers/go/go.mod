module filelock.dev/consumer

go 1.19

require filelock.dev/filelock v1.4.0

// golang-filelock-dev installs the module's sources here; no proxy, no network.
replace filelock.dev/filelock => /usr/share/gocode/src/filelock.dev/filelock
