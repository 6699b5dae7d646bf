#!/usr/bin/env python3
"""Scripts the TorchScript module behind org.shampoo4j.quant.TorchScriptCodes.

Block-wise quantization as DJL NDArray calls takes dozens of passes over int64 data; libtorch can do
it in a few passes over uint8/int32 data. This script compiles a parameter-free module whose
exported methods encode + pack and unpack + decode with exactly the arithmetic of the pure-Java
ArrayQuantizer (scale x * (1/s) with the float32 reciprocal, code = number of decision thresholds
strictly below the scaled value, so ties go to the even code through the thresholds the Java
Codebook computes), and saves it as src/main/resources/org/shampoo4j/quant/quantizer.pt. The
module holds no tensors and names no device, so the Java side loads it once and runs it on CPU or
CUDA arrays alike. Codes are uint8, indices int32; int64 appears only in the bit packing of the
unusual widths 5 to 7.

Run from quant-api/ (Debian's python3-torch 1.13 is enough; the saved file loads in DJL's libtorch
2.7.1 and later):

    /usr/bin/python3 scripts/make_quantizer_module.py

The build never runs this script: the produced .pt file is committed.
"""
import os
import sys
from typing import List

import torch
import torch.nn.functional as F


def _blocks(flat: torch.Tensor, row_length: int, block_size: int) -> torch.Tensor:
    """(n) -> (rows * per_row, width): every row zero-padded to whole blocks. The width is the
    block size, or the row length when one block holds the row, so that a block size far above
    the data never allocates more than the data."""
    rows = flat.numel() // row_length
    width = min(block_size, row_length)
    per_row = (row_length + width - 1) // width
    matrix = flat.reshape(rows, row_length)
    pad = per_row * width - row_length
    if pad > 0:
        matrix = F.pad(matrix, [0, pad])
    return matrix.reshape(rows * per_row, width)


def _unblocks(blocks: torch.Tensor, n: int, row_length: int) -> torch.Tensor:
    """The inverse of _blocks: drops each row's padding, flat and contiguous."""
    matrix = blocks.reshape(n // row_length, -1)
    if matrix.shape[1] != row_length:
        matrix = matrix[:, :row_length]
    return matrix.reshape(-1)


class Quantizer(torch.nn.Module):
    """Block-wise absmax quantization kernels, one exported method per operation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A module needs a forward to be scripted as a whole; it is not used by the Java side.
        return x

    @torch.jit.export
    def encode_blocks(self, x: torch.Tensor, thresholds: torch.Tensor, row_length: int,
                      block_size: int) -> List[torch.Tensor]:
        """[codes (n) uint8, scales (blocks) float32] of x flattened, blocks inside rows of
        row_length elements (row_length = n: flat blocks)."""
        flat = x.reshape(-1).to(torch.float32)
        blocks = _blocks(flat, row_length, block_size)
        scales = blocks.abs().amax(dim=1)
        # x * (1/s) with the float32 reciprocal; an all-zero block gets 0 and codes 0 as zero.
        inverse = torch.where(scales > 0, torch.reciprocal(scales), torch.zeros_like(scales))
        y = blocks * inverse.unsqueeze(1)
        codes = torch.bucketize(y, thresholds, out_int32=True, right=False).to(torch.uint8)
        return [_unblocks(codes, flat.numel(), row_length), scales]

    @torch.jit.export
    def nearest_codes(self, y: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
        """uint8 codes of already scaled values, y's shape: thresholds strictly below y."""
        return torch.bucketize(y, thresholds, out_int32=True, right=False).to(torch.uint8)

    @torch.jit.export
    def decode_blocks(self, codes: torch.Tensor, values: torch.Tensor, scales: torch.Tensor,
                      row_length: int, block_size: int) -> torch.Tensor:
        """values[code] * scale of codes (any integer or integral float type), flat float32."""
        flat = values.index_select(0, codes.reshape(-1).to(torch.int32))
        return self._scale(flat, scales, row_length, block_size)

    @torch.jit.export
    def pack(self, codes: torch.Tensor, bits: int) -> torch.Tensor:
        """Codes (any integer or integral float type) as the little-endian uint8 bit stream of
        CodePacker: code i in bits [i*bits, (i+1)*bits)."""
        c = codes.reshape(-1).to(torch.uint8)
        n = c.numel()
        if bits == 8:
            return c.contiguous()
        if bits == 4:
            if n % 2 == 1:
                c = F.pad(c, [0, 1])
            pairs = c.reshape(-1, 2)
            return pairs[:, 0] | (pairs[:, 1] << 4)
        groups = (n + 7) // 8
        wide = torch.int32 if bits <= 3 else torch.int64
        grouped = F.pad(c, [0, groups * 8 - n]).reshape(groups, 8).to(wide)
        word = torch.zeros(groups, dtype=wide, device=c.device)
        for k in range(8):
            word = word | (grouped[:, k] << (k * bits))
        out = torch.empty(groups, bits, dtype=torch.uint8, device=c.device)
        for j in range(bits):
            out[:, j] = ((word >> (8 * j)) & 255).to(torch.uint8)
        return out.reshape(-1)[: (n * bits + 7) // 8]

    @torch.jit.export
    def unpack(self, packed: torch.Tensor, bits: int, count: int) -> torch.Tensor:
        """count uint8 codes from a packed uint8 stream (the inverse of pack)."""
        p = packed.reshape(-1)
        if bits == 8:
            return p[:count].contiguous()
        if bits == 4:
            return torch.stack([p & 15, p >> 4], 1).reshape(-1)[:count]
        groups = (count + 7) // 8
        wide = torch.int32 if bits <= 3 else torch.int64
        grouped = F.pad(p, [0, groups * bits - p.numel()]).reshape(groups, bits).to(wide)
        word = torch.zeros(groups, dtype=wide, device=p.device)
        for j in range(bits):
            word = word | (grouped[:, j] << (8 * j))
        mask = (1 << bits) - 1
        out = torch.empty(groups, 8, dtype=torch.uint8, device=p.device)
        for k in range(8):
            out[:, k] = ((word >> (k * bits)) & mask).to(torch.uint8)
        return out.reshape(-1)[:count]

    @torch.jit.export
    def quantize(self, x: torch.Tensor, thresholds: torch.Tensor, row_length: int,
                 block_size: int, bits: int, off_diagonal: bool) -> List[torch.Tensor]:
        """[packed codes uint8, scales float32, diagonal float32 (empty unless off_diagonal)].
        off_diagonal: x is square; its diagonal is kept aside and quantized as 0."""
        flat = x.reshape(-1).to(torch.float32)
        diagonal = torch.empty(0, dtype=torch.float32, device=x.device)
        if off_diagonal:
            order = x.shape[0]
            matrix = flat.reshape(order, order)
            diagonal = matrix.diagonal().clone()
            matrix = matrix.clone()
            matrix.fill_diagonal_(0.0)
            flat = matrix.reshape(-1)
        encoded = self.encode_blocks(flat, thresholds, row_length, block_size)
        return [self.pack(encoded[0], bits), encoded[1], diagonal]

    @torch.jit.export
    def dequantize(self, packed: torch.Tensor, values: torch.Tensor, scales: torch.Tensor,
                   diagonal: torch.Tensor, count: int, row_length: int, block_size: int,
                   bits: int) -> torch.Tensor:
        """The flat float32 values of a packed tensor; a non-empty diagonal overwrites the
        diagonal of the (square) result."""
        if bits == 4:
            # One lookup per byte: entry b holds (values[b & 15], values[b >> 4]).
            table = torch.stack([values.repeat(16), values.repeat_interleave(16)], 1)
            flat = table.index_select(0, packed.reshape(-1).to(torch.int32)).reshape(-1)[:count]
        else:
            codes = self.unpack(packed, bits, count)
            flat = values.index_select(0, codes.to(torch.int32))
        out = self._scale(flat, scales, row_length, block_size)
        if diagonal.numel() > 0:
            order = diagonal.numel()
            out.reshape(order, order).diagonal().copy_(diagonal)
        return out

    def _scale(self, flat: torch.Tensor, scales: torch.Tensor, row_length: int,
               block_size: int) -> torch.Tensor:
        blocks = _blocks(flat, row_length, block_size) * scales.unsqueeze(1)
        return _unblocks(blocks, flat.numel(), row_length)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "src", "main", "resources", "org", "shampoo4j", "quant",
                       "quantizer.pt")
    module = torch.jit.script(Quantizer().eval())
    torch.jit.save(module, out)
    # Self-check before anyone commits the file: round trips of every path.
    loaded = torch.jit.load(out)
    g = torch.Generator().manual_seed(0)
    for bits in (1, 2, 3, 4, 5, 7, 8):
        codes = torch.randint(0, 1 << bits, (101,), generator=g).to(torch.uint8)
        assert torch.equal(loaded.unpack(loaded.pack(codes, bits), bits, 101), codes), bits
    values = torch.linspace(-1, 1, 16)
    thresholds = (values[:-1] + values[1:]) * 0.5
    x = torch.randn(37, 37, generator=g)
    for row_length in (37, 37 * 37):
        for block_size in (8, 1 << 31):
            packed, scales, diagonal = loaded.quantize(x, thresholds, row_length, block_size, 4,
                                                       True)
            back = loaded.dequantize(packed, values, scales, diagonal, 37 * 37, row_length,
                                     block_size, 4).reshape(37, 37)
            assert torch.equal(back.diagonal(), x.diagonal())
            off = ~torch.eye(37, dtype=torch.bool)
            assert (back - x)[off].abs().max() <= x.abs().max() / 15 + 1e-6
    print("wrote %s (%d bytes) with torch %s" % (os.path.normpath(out), os.path.getsize(out),
                                                  torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
