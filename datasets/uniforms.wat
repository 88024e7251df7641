;; Uniforms of a RandomStream a block at a time (see uniforms.ts): pure-rand's xoroshiro128+ on
;; 64-bit integers, where JavaScript needs four 32-bit halves and twice the operations, and
;; pure-rand's uniformFloat64 from two steps' low 32 bits (26 + 27 bits). The same numbers as
;; RandomStream.uniform().
;;
;; Memory: the state at 0 as pure-rand keeps it (i32 words: s0 high, s0 low, s1 high, s1 low),
;; the uniforms from 16.
(module
  (memory (export "memory") 1)

  (func (export "fill") (param $n i32)
    (local $s0 i64) (local $s1 i64) (local $a i64) (local $v1 i64) (local $v2 i64) (local $p i32) (local $end i32)
    (local.set $s0 (i64.or (i64.shl (i64.extend_i32_u (i32.load (i32.const 0))) (i64.const 32)) (i64.extend_i32_u (i32.load (i32.const 4)))))
    (local.set $s1 (i64.or (i64.shl (i64.extend_i32_u (i32.load (i32.const 8))) (i64.const 32)) (i64.extend_i32_u (i32.load (i32.const 12)))))
    (local.set $p (i32.const 16))
    (local.set $end (i32.add (i32.const 16) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; output, then step: s0 = rotl(s0, 24) ^ a ^ (a << 16), s1 = rotl(a, 37), a = s0 ^ s1
        (local.set $v1 (i64.add (local.get $s0) (local.get $s1)))
        (local.set $a (i64.xor (local.get $s0) (local.get $s1)))
        (local.set $s0 (i64.xor (i64.xor (i64.rotl (local.get $s0) (i64.const 24)) (local.get $a)) (i64.shl (local.get $a) (i64.const 16))))
        (local.set $s1 (i64.rotl (local.get $a) (i64.const 37)))
        (local.set $v2 (i64.add (local.get $s0) (local.get $s1)))
        (local.set $a (i64.xor (local.get $s0) (local.get $s1)))
        (local.set $s0 (i64.xor (i64.xor (i64.rotl (local.get $s0) (i64.const 24)) (local.get $a)) (i64.shl (local.get $a) (i64.const 16))))
        (local.set $s1 (i64.rotl (local.get $a) (i64.const 37)))
        ;; 26 bits of the first output and 27 of the second, as 53 bits in [0, 1)
        (f64.store (local.get $p)
          (f64.add
            (f64.mul (f64.convert_i64_u (i64.and (local.get $v1) (i64.const 0x3ffffff))) (f64.const 1.4901161193847656e-8))
            (f64.mul (f64.convert_i64_u (i64.and (local.get $v2) (i64.const 0x7ffffff))) (f64.const 1.1102230246251565e-16))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $more)))
    (i32.store (i32.const 0) (i32.wrap_i64 (i64.shr_u (local.get $s0) (i64.const 32))))
    (i32.store (i32.const 4) (i32.wrap_i64 (local.get $s0)))
    (i32.store (i32.const 8) (i32.wrap_i64 (i64.shr_u (local.get $s1) (i64.const 32))))
    (i32.store (i32.const 12) (i32.wrap_i64 (local.get $s1)))))
