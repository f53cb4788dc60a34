#!/usr/bin/env node
// Sources run directly under Node's type stripping (see README, Development).
import '../src/cli/main.ts'
