package main

import "syscall"

// dupTo is dup2(2); linux/arm64 has only dup3.
func dupTo(fd int, target int) error { return syscall.Dup3(fd, target, 0) }
