;; The byte-level work of a catalogue batch's text columns (see text-columns.ts, which lays out
;; the tables and columns in the shared memory and calls these). In JavaScript every byte went
;; through a bounds-checked typed-array or DataView access, and these columns were most of a
;; row's cost; here a value is a few 16-byte moves and integer digit loops.
;;
;; Conventions: pointers are byte offsets in the memory. A function writes its n values back to
;; back from `out`, and n + 1 Arrow offsets (relative to `out`) at `offs`. Copies move 16 bytes
;; at a time, so they may read up to 15 bytes past a source and write up to 15 past a value: the
;; next value overwrites them, and every buffer has slack after it. A string table is an array of
;; (pointer, length) pairs of i32. Index arrays of pooled columns are 1, 2 or 4 bytes an entry.
(module
  (memory (import "env" "memory") 1 65536 shared)

  ;; len bytes from src to dst, 16 at a time (at least 16 are moved); returns dst + len.
  (func $copy (param $dst i32) (param $src i32) (param $len i32) (result i32)
    (local $k i32)
    (loop $more
      (v128.store (i32.add (local.get $dst) (local.get $k)) (v128.load (i32.add (local.get $src) (local.get $k))))
      (br_if $more (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $len))))
    (i32.add (local.get $dst) (local.get $len)))

  ;; Entry i of an index array whose entries are `width` bytes.
  (func $index (param $p i32) (param $width i32) (param $i i32) (result i32)
    (if (result i32) (i32.eq (local.get $width) (i32.const 1))
      (then (i32.load8_s (i32.add (local.get $p) (local.get $i))))
      (else
        (if (result i32) (i32.eq (local.get $width) (i32.const 2))
          (then (i32.load16_s (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1)))))
          (else (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))))))

  ;; Copies string k of a string table; returns the end.
  (func $entry (param $dst i32) (param $table i32) (param $k i32) (result i32)
    (local $e i32)
    (local.set $e (i32.add (local.get $table) (i32.shl (local.get $k) (i32.const 3))))
    (call $copy (local.get $dst) (i32.load (local.get $e)) (i32.load offset=4 (local.get $e))))

  ;; Number of decimal digits of x (by comparisons: the digit loops below are chains of divisions).
  (func $digits (param $x i32) (result i32)
    (i32.add (i32.const 1)
      (i32.add
        (i32.add
          (i32.add (i32.ge_u (local.get $x) (i32.const 10)) (i32.ge_u (local.get $x) (i32.const 100)))
          (i32.add (i32.ge_u (local.get $x) (i32.const 1000)) (i32.ge_u (local.get $x) (i32.const 10000))))
        (i32.add
          (i32.add (i32.ge_u (local.get $x) (i32.const 100000)) (i32.ge_u (local.get $x) (i32.const 1000000)))
          (i32.add
            (i32.add (i32.ge_u (local.get $x) (i32.const 10000000)) (i32.ge_u (local.get $x) (i32.const 100000000)))
            (i32.ge_u (local.get $x) (i32.const 1000000000)))))))

  ;; The last `count` digits of x (zero-padded), ending at `end`: two digits a step, so that
  ;; the chain of divisions is half as long.
  (func $put (param $end i32) (param $x i32) (param $count i32)
    (local $q i32) (local $r i32) (local $t i32)
    (block $done
      (loop $pairs
        (br_if $done (i32.lt_u (local.get $count) (i32.const 2)))
        (local.set $q (i32.div_u (local.get $x) (i32.const 100)))
        (local.set $r (i32.sub (local.get $x) (i32.mul (local.get $q) (i32.const 100))))
        (local.set $t (i32.div_u (local.get $r) (i32.const 10)))
        (local.set $end (i32.sub (local.get $end) (i32.const 2)))
        (i32.store8 (local.get $end) (i32.add (i32.const 48) (local.get $t)))
        (i32.store8 offset=1 (local.get $end) (i32.add (i32.const 48) (i32.sub (local.get $r) (i32.mul (local.get $t) (i32.const 10)))))
        (local.set $x (local.get $q))
        (local.set $count (i32.sub (local.get $count) (i32.const 2)))
        (br $pairs)))
    (if (local.get $count)
      (then (i32.store8 (i32.sub (local.get $end) (i32.const 1)) (i32.add (i32.const 48) (i32.rem_u (local.get $x) (i32.const 10)))))))

  ;; x in decimal; returns the end.
  (func $uint32 (param $dst i32) (param $x i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (call $digits (local.get $x))))
    (call $put (local.get $end) (local.get $x) (i32.sub (local.get $end) (local.get $dst)))
    (local.get $end))

  ;; x (an integer below 2^53) in decimal, as String(x) prints it; returns the end.
  (func $uint (param $dst i32) (param $x f64) (result i32)
    (local $n i64) (local $hi i64) (local $end i32)
    ;; (i32.trunc_f64_u is one instruction; the saturating 64-bit conversions are much slower)
    (if (f64.lt (local.get $x) (f64.const 4294967296))
      (then (return (call $uint32 (local.get $dst) (i32.trunc_f64_u (local.get $x))))))
    ;; the digits above the last nine, then those nine
    (local.set $n (i64.trunc_sat_f64_s (local.get $x)))
    (local.set $hi (i64.div_u (local.get $n) (i64.const 1000000000)))
    (local.set $end (i32.add (call $uint (local.get $dst) (f64.convert_i64_u (local.get $hi))) (i32.const 9)))
    (call $put (local.get $end) (i32.wrap_i64 (i64.sub (local.get $n) (i64.mul (local.get $hi) (i64.const 1000000000)))) (i32.const 9))
    (local.get $end))

  ;; x with `decimals` places (1 to 9), rounded as Math.round(|x| * scale) with scale =
  ;; 10^decimals (given as a double and as an integer), after a "-" when x < 0: e.g.
  ;; "-12.500000". For |x| * scale < 2^53. Three of these make an s_region, so the usual case
  ;; (|x| * scale < 2^32) calls only $digits: a call costs about as much as the digits.
  (func $fixed (param $dst i32) (param $x f64) (param $decimals i32) (param $scale f64) (param $iscale i32) (result i32)
    (local $r f64) (local $u i32) (local $ip i32) (local $n i64) (local $ip64 i64) (local $end i32)
    (local $p i32) (local $c i32) (local $q i32) (local $t i32)
    (if (f64.lt (local.get $x) (f64.const 0))
      (then
        (i32.store8 (local.get $dst) (i32.const 45))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $x (f64.neg (local.get $x)))))
    ;; Math.round: nearest integer, halves up (f64.nearest would round halves to even)
    (local.set $x (f64.mul (local.get $x) (local.get $scale)))
    (local.set $r (f64.ceil (local.get $x)))
    (if (f64.gt (f64.sub (local.get $r) (f64.const 0.5)) (local.get $x)) (then (local.set $r (f64.sub (local.get $r) (f64.const 1)))))
    (if (f64.lt (local.get $r) (f64.const 4294967296))
      (then
        ;; (i32.trunc_f64_u is one instruction; the saturating 64-bit conversions are much slower)
        (local.set $u (i32.trunc_f64_u (local.get $r)))
        ;; by a constant for the scales used: a division by a constant is a multiply
        (local.set $ip
          (if (result i32) (i32.eq (local.get $decimals) (i32.const 6))
            (then (i32.div_u (local.get $u) (i32.const 1000000)))
            (else
              (if (result i32) (i32.eq (local.get $decimals) (i32.const 7))
                (then (i32.div_u (local.get $u) (i32.const 10000000)))
                (else (i32.div_u (local.get $u) (local.get $iscale)))))))
        (local.set $u (i32.sub (local.get $u) (i32.mul (local.get $ip) (local.get $iscale))))
        ;; the integer part, as $uint32 and $put do
        (local.set $c (call $digits (local.get $ip)))
        (local.set $dst (i32.add (local.get $dst) (local.get $c)))
        (local.set $p (local.get $dst))
        (block $done
          (loop $pairs
            (br_if $done (i32.lt_u (local.get $c) (i32.const 2)))
            (local.set $q (i32.div_u (local.get $ip) (i32.const 100)))
            (local.set $ip (i32.sub (local.get $ip) (i32.mul (local.get $q) (i32.const 100))))
            (local.set $t (i32.div_u (local.get $ip) (i32.const 10)))
            (local.set $p (i32.sub (local.get $p) (i32.const 2)))
            (i32.store8 (local.get $p) (i32.add (i32.const 48) (local.get $t)))
            (i32.store8 offset=1 (local.get $p) (i32.add (i32.const 48) (i32.sub (local.get $ip) (i32.mul (local.get $t) (i32.const 10)))))
            (local.set $ip (local.get $q))
            (local.set $c (i32.sub (local.get $c) (i32.const 2)))
            (br $pairs)))
        (if (local.get $c) (then (i32.store8 (i32.sub (local.get $p) (i32.const 1)) (i32.add (i32.const 48) (local.get $ip))))))
      (else
        (local.set $n (i64.trunc_sat_f64_s (local.get $r)))
        (local.set $ip64 (i64.div_u (local.get $n) (i64.extend_i32_u (local.get $iscale))))
        (local.set $dst (call $uint (local.get $dst) (f64.convert_i64_u (local.get $ip64))))
        (local.set $u (i32.wrap_i64 (i64.sub (local.get $n) (i64.mul (local.get $ip64) (i64.extend_i32_u (local.get $iscale))))))))
    (i32.store8 (local.get $dst) (i32.const 46))
    ;; the decimals, as $put does
    (local.set $end (i32.add (local.get $dst) (i32.add (local.get $decimals) (i32.const 1))))
    (local.set $p (local.get $end))
    (local.set $c (local.get $decimals))
    (block $done
      (loop $pairs
        (br_if $done (i32.lt_u (local.get $c) (i32.const 2)))
        (local.set $q (i32.div_u (local.get $u) (i32.const 100)))
        (local.set $u (i32.sub (local.get $u) (i32.mul (local.get $q) (i32.const 100))))
        (local.set $t (i32.div_u (local.get $u) (i32.const 10)))
        (local.set $p (i32.sub (local.get $p) (i32.const 2)))
        (i32.store8 (local.get $p) (i32.add (i32.const 48) (local.get $t)))
        (i32.store8 offset=1 (local.get $p) (i32.add (i32.const 48) (i32.sub (local.get $u) (i32.mul (local.get $t) (i32.const 10)))))
        (local.set $u (local.get $q))
        (local.set $c (i32.sub (local.get $c) (i32.const 2)))
        (br $pairs)))
    (if (local.get $c) (then (i32.store8 (i32.sub (local.get $p) (i32.const 1)) (i32.add (i32.const 48) (local.get $u)))))
    (local.get $end))

  ;; Two digits of x (0 <= x < 100).
  (func $two (param $dst i32) (param $x i32) (result i32)
    (local $q i32)
    (local.set $q (i32.div_u (local.get $x) (i32.const 10)))
    (i32.store8 (local.get $dst) (i32.add (i32.const 48) (local.get $q)))
    (i32.store8 offset=1 (local.get $dst) (i32.add (i32.const 48) (i32.sub (local.get $x) (i32.mul (local.get $q) (i32.const 10)))))
    (i32.add (local.get $dst) (i32.const 2)))

  ;; name: "<scope>-<telescope code>-" (string table `ids`, by telescope) + serial + type suffix
  ;; (string table `suffixes`, by product type).
  (func (export "names") (param $n i32) (param $tel i32) (param $telWidth i32) (param $type i32) (param $typeWidth i32)
      (param $serial i32) (param $ids i32) (param $suffixes i32) (param $out i32) (param $offs i32)
    (local $i i32) (local $pos i32)
    (local.set $pos (local.get $out))
    (i32.store (local.get $offs) (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $pos (call $entry (local.get $pos) (local.get $ids) (call $index (local.get $tel) (local.get $telWidth) (local.get $i))))
        (local.set $pos (call $uint (local.get $pos) (f64.load (i32.add (local.get $serial) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $pos (call $entry (local.get $pos) (local.get $suffixes) (call $index (local.get $type) (local.get $typeWidth) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $pos) (local.get $out)))
        (br $rows))))

  ;; obs_id: the name without its type suffix.
  (func (export "obsIds") (param $n i32) (param $names i32) (param $nameOffs i32) (param $type i32) (param $typeWidth i32)
      (param $suffixes i32) (param $out i32) (param $offs i32)
    (local $i i32) (local $pos i32) (local $a i32) (local $o i32) (local $len i32)
    (local.set $pos (local.get $out))
    (i32.store (local.get $offs) (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.add (local.get $nameOffs) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $a (i32.load (local.get $o)))
        (local.set $len (i32.sub (i32.sub (i32.load offset=4 (local.get $o)) (local.get $a))
          (i32.load offset=4 (i32.add (local.get $suffixes) (i32.shl (call $index (local.get $type) (local.get $typeWidth) (local.get $i)) (i32.const 3))))))
        (local.set $pos (call $copy (local.get $pos) (i32.add (local.get $names) (local.get $a)) (local.get $len)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $pos) (local.get $out)))
        (br $rows))))

  ;; A constant prefix + the name (did, path, access_url, obs_publisher_did).
  (func (export "prefixed") (param $n i32) (param $names i32) (param $nameOffs i32) (param $prefix i32) (param $prefixLen i32)
      (param $out i32) (param $offs i32)
    (local $i i32) (local $pos i32) (local $a i32) (local $o i32)
    (local.set $pos (local.get $out))
    (i32.store (local.get $offs) (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $pos (call $copy (local.get $pos) (local.get $prefix) (local.get $prefixLen)))
        (local.set $o (i32.add (local.get $nameOffs) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $a (i32.load (local.get $o)))
        (local.set $pos (call $copy (local.get $pos) (i32.add (local.get $names) (local.get $a)) (i32.sub (i32.load offset=4 (local.get $o)) (local.get $a))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $pos) (local.get $out)))
        (br $rows))))

  ;; s_region: head ("CIRCLE ICRS ") + ra and dec with 6 decimals + the radius s_fov / 2 with 7.
  (func (export "regions") (param $n i32) (param $ra i32) (param $dec i32) (param $fov i32) (param $head i32) (param $headLen i32)
      (param $out i32) (param $offs i32)
    (local $i i32) (local $pos i32) (local $at i32)
    (local.set $pos (local.get $out))
    (i32.store (local.get $offs) (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 3)))
        (local.set $pos (call $copy (local.get $pos) (local.get $head) (local.get $headLen)))
        (local.set $pos (call $fixed (local.get $pos) (f64.load (i32.add (local.get $ra) (local.get $at))) (i32.const 6) (f64.const 1e6) (i32.const 1000000)))
        (i32.store8 (local.get $pos) (i32.const 32))
        (local.set $pos (call $fixed (i32.add (local.get $pos) (i32.const 1)) (f64.load (i32.add (local.get $dec) (local.get $at))) (i32.const 6) (f64.const 1e6) (i32.const 1000000)))
        (i32.store8 (local.get $pos) (i32.const 32))
        (local.set $pos (call $fixed (i32.add (local.get $pos) (i32.const 1))
          (f64.div (f64.load (i32.add (local.get $fov) (local.get $at))) (f64.const 2)) (i32.const 7) (f64.const 1e7) (i32.const 10000000)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $pos) (local.get $out)))
        (br $rows))))

  ;; target_name: the revisited field's name (string table `fieldNames`, by field[i]), or off the
  ;; fields (field[i] < 0) the IAU-style "Jhhmmss+ddmmss" of (ra, dec), as generator.ts's jName().
  (func (export "targets") (param $n i32) (param $field i32) (param $ra i32) (param $dec i32) (param $fieldNames i32)
      (param $out i32) (param $offs i32)
    (local $i i32) (local $pos i32) (local $fi i32) (local $hs i32) (local $ds i32) (local $d f64)
    (local.set $pos (local.get $out))
    (i32.store (local.get $offs) (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $fi (i32.load (i32.add (local.get $field) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.ge_s (local.get $fi) (i32.const 0))
          (then (local.set $pos (call $entry (local.get $pos) (local.get $fieldNames) (local.get $fi))))
          (else
            (local.set $hs (i32.trunc_sat_f64_s (f64.floor (f64.mul (f64.div (f64.load (i32.add (local.get $ra) (i32.shl (local.get $i) (i32.const 3)))) (f64.const 15)) (f64.const 3600)))))
            (local.set $d (f64.load (i32.add (local.get $dec) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $ds (i32.trunc_sat_f64_s (f64.floor (f64.mul (f64.abs (local.get $d)) (f64.const 3600)))))
            (i32.store8 (local.get $pos) (i32.const 74))
            (local.set $pos (call $two (i32.add (local.get $pos) (i32.const 1)) (i32.div_u (local.get $hs) (i32.const 3600))))
            (local.set $pos (call $two (local.get $pos) (i32.rem_u (i32.div_u (local.get $hs) (i32.const 60)) (i32.const 60))))
            (local.set $pos (call $two (local.get $pos) (i32.rem_u (local.get $hs) (i32.const 60))))
            (i32.store8 (local.get $pos) (select (i32.const 45) (i32.const 43) (f64.lt (local.get $d) (f64.const 0))))
            (local.set $pos (call $two (i32.add (local.get $pos) (i32.const 1)) (i32.div_u (local.get $ds) (i32.const 3600))))
            (local.set $pos (call $two (local.get $pos) (i32.rem_u (i32.div_u (local.get $ds) (i32.const 60)) (i32.const 60))))
            (local.set $pos (call $two (local.get $pos) (i32.rem_u (local.get $ds) (i32.const 60))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $pos) (local.get $out)))
        (br $rows)))))
