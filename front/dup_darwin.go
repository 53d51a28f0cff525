package main

import "syscall"

// dupTo is dup2(2).
func dupTo(fd int, target int) error { return syscall.Dup2(fd, target) }
