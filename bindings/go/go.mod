module filelock.dev/filelock

go 1.19
